namespace Apex.Server.Tests.Hardening;

/// <summary>The bodies of issue 7's acceptance, and how each is sent.</summary>
public enum BadBody
{
    /// <summary>1,000,000 bytes of JSON whose string never ends.</summary>
    MalformedMegabyteUnterminated,

    /// <summary>1,000,000 bytes of JSON that breaks only at its last bytes.</summary>
    MalformedMegabyteTrailing,

    /// <summary>A body declared at 10 MB (Content-Length), of which only the first 64 KB are sent before the answer is awaited.</summary>
    OverLimitDeclared,

    /// <summary>A chunked body (no Content-Length) sent 64 KB at a time, meant to reach 10 MB, until the server answers.</summary>
    OverLimitChunked,

    /// <summary>10,000 nested arrays as the whole body.</summary>
    DepthBombRoot,

    /// <summary>10,000 nested objects in a field that takes any JSON (<c>output_schema</c>).</summary>
    DepthBombField,
}
