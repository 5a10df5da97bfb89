namespace Apex.ServiceDefaults.Telemetry;

/// <summary>The console log of an Apex host (configuration section <c>Apex:Logging</c>).</summary>
public sealed class LoggingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Logging";

    /// <summary>The JSON console format: one object per line.</summary>
    public const string Json = "json";

    /// <summary>The plain text console format.</summary>
    public const string Text = "text";

    /// <summary>
    /// <c>json</c> (one JSON object per line, with scopes: what log collectors parse) or <c>text</c> (for reading in a
    /// terminal). Unset: <c>text</c> in the Development environment (<c>dotnet run</c>), <c>json</c> everywhere else.
    /// </summary>
    public string? Format { get; set; }
}
