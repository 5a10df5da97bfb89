namespace Apex.Server.Hosting;

/// <summary>HTTP API limits (configuration section <c>Apex:Api</c>).</summary>
public sealed class ApiOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Api";

    /// <summary>Largest request body; a larger one is refused with 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest page of a list endpoint.</summary>
    public int MaxPageSize { get; set; } = 500;

    /// <summary>Page size when <c>limit</c> is not given.</summary>
    public int DefaultPageSize { get; set; } = 50;

    /// <summary>Deepest JSON nesting accepted in a request body.</summary>
    public int MaxJsonDepth { get; set; } = 64;
}
