using Apex.Agents.Security;
using Xunit;

namespace Apex.Agents.Tests.Security;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("key sk-proj-Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9f here", "key [REDACTED] here")]
    [InlineData("OPENAI_API_KEY=sk-Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7d", "OPENAI_API_KEY=[REDACTED]")]
    [InlineData("x-api-key: sk-ant-api03-Ab3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5bC7dE9f-gH1jK3AA", "x-api-key: [REDACTED]")]
    [InlineData("aws AKIAIOSFODNN7EXAMPLE in config", "aws [REDACTED] in config")]
    [InlineData("token ghp_aB1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV1wX2y3Z", "token [REDACTED]")]
    [InlineData("github_pat_11ABCDEFG0abcdefghijklmnopqrstuvwxyz0123456789", "[REDACTED]")]
    [InlineData("slack xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx", "slack [REDACTED]")]
    [InlineData("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_x", "Authorization: Bearer [REDACTED]")]
    [InlineData("db password=hunter2hunter2 ok", "db password=[REDACTED] ok")]
    [InlineData("DB_PASSWORD='correct horse' next", "DB_PASSWORD=[REDACTED] next")]
    [InlineData("{\"api_key\": \"abc123def456\", \"n\": 1}", "{\"api_key\": [REDACTED], \"n\": 1}")]
    [InlineData("https://h/x?api_key=abc123&q=1", "https://h/x?api_key=[REDACTED]&q=1")]
    [InlineData("client_secret: s3cr3t-value", "client_secret: [REDACTED]")]
    public void Redact_KnownCredentialShapes_AreMasked(string text, string expected)
    {
        Assert.Equal(expected, new SecretRedactor().Redact(text));
    }

    [Fact]
    public void Redact_PemPrivateKeyBlock_IsMaskedWhole()
    {
        var text = "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\nZm9vYmFy\n-----END RSA PRIVATE KEY-----\nafter";

        Assert.Equal("before\n[REDACTED]\nafter", new SecretRedactor().Redact(text));
    }

    [Theory]
    [InlineData("The task-runner skips disk-heavy steps; see risk-assessment.md")]
    [InlineData("Use max_tokens: 512 and 3 passwords were rotated")]
    [InlineData("An AKIA prefix alone is fine, as is AKIAshort")]
    [InlineData("The bearer of bad news")]
    [InlineData("sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08")]
    [InlineData("ask-anything-you-like is a slug")]
    [InlineData("")]
    public void Redact_OrdinaryText_IsUnchanged(string text)
    {
        Assert.Equal(text, new SecretRedactor().Redact(text));
    }

    [Fact]
    public void Redact_RegisteredValues_AreMaskedEverywhereLongestFirst()
    {
        var redactor = new SecretRedactor();
        Assert.True(redactor.Register("canary-7f3a9c"));
        Assert.True(redactor.Register("canary-7f3a9c-extended"));

        var result = redactor.Redact("a canary-7f3a9c-extended b canary-7f3a9c c canary-7f3a9c");

        Assert.Equal("a [REDACTED] b [REDACTED] c [REDACTED]", result);
    }

    [Fact]
    public void Register_ShortOrEmptyValues_AreIgnored()
    {
        var redactor = new SecretRedactor();

        Assert.False(redactor.Register("admin"));
        Assert.False(redactor.Register("   "));
        Assert.False(redactor.Register(null));
        Assert.Equal("admin logged in", redactor.Redact("admin logged in"));
    }
}
