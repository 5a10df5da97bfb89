namespace Apex.Testing;

/// <summary>
/// Credential-shaped strings for the redaction and leak tests, put together at run time so that the source holds
/// nothing a secret scanner would take for a real key. None of them was ever valid anywhere.
/// </summary>
public static class FakeSecrets
{
    private const string KeyPrefix = "sk";
    private const string PrivateKey = "PRIVATE " + "KEY";

    /// <summary>An OpenAI-style key: <c>sk-</c> and <paramref name="body"/>.</summary>
    public static string OpenAi(string body) => $"{KeyPrefix}-{body}";

    /// <summary>An OpenAI project key: <c>sk-proj-</c> and <paramref name="body"/>.</summary>
    public static string OpenAiProject(string body) => $"{KeyPrefix}-proj-{body}";

    /// <summary>An Anthropic key: <c>sk-ant-</c> and <paramref name="body"/>.</summary>
    public static string Anthropic(string body) => $"{KeyPrefix}-ant-{body}";

    /// <summary>AWS's documented example access key id.</summary>
    public static string AwsAccessKeyId { get; } = "AK" + "IA" + "IOSFODNN7" + "EXAMPLE";

    /// <summary>A GitHub personal access token (classic).</summary>
    public static string GitHubToken { get; } = "gh" + "p_" + "aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2y3Z";

    /// <summary>A GitHub fine-grained token.</summary>
    public static string GitHubFineGrainedToken { get; } = "github" + "_pat_" + "11ABCDEFG0abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>A Slack bot token.</summary>
    public static string SlackToken { get; } = "xo" + "xb-" + "1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx";

    /// <summary>A JWT-shaped bearer token.</summary>
    public static string Jwt { get; } = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiIxIn0" + ".sig-nature_x";

    /// <summary>A PEM private key block (its body is not a key).</summary>
    public static string PemPrivateKey { get; } = $"-----BEGIN RSA {PrivateKey}-----\nMIIEowIBAAKCAQEA7bq\nZm9vYmFy\n-----END RSA {PrivateKey}-----";

    /// <summary>
    /// <paramref name="template"/> with its placeholders filled: <c>{openai}</c>, <c>{openai-project}</c>,
    /// <c>{anthropic}</c>, <c>{aws}</c>, <c>{github}</c>, <c>{github-fine-grained}</c>, <c>{slack}</c>, <c>{jwt}</c>.
    /// </summary>
    public static string Expand(string template) => template
        .Replace("{openai}", OpenAi("Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7d"), StringComparison.Ordinal)
        .Replace("{openai-project}", OpenAiProject("Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9f"), StringComparison.Ordinal)
        .Replace("{anthropic}", Anthropic("api03-Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9f-gH1jK3AA"), StringComparison.Ordinal)
        .Replace("{aws}", AwsAccessKeyId, StringComparison.Ordinal)
        .Replace("{github}", GitHubToken, StringComparison.Ordinal)
        .Replace("{github-fine-grained}", GitHubFineGrainedToken, StringComparison.Ordinal)
        .Replace("{slack}", SlackToken, StringComparison.Ordinal)
        .Replace("{jwt}", Jwt, StringComparison.Ordinal);
}
