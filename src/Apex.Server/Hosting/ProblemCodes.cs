namespace Apex.Server.Hosting;

/// <summary>Codes of problems that do not come from the domain.</summary>
internal static class ProblemCodes
{
    public const string MalformedJson = "malformed_json";
    public const string PayloadTooLarge = "payload_too_large";
    public const string BadRequest = "bad_request";
    public const string NotFound = "not_found";
    public const string Internal = "internal_error";
}
