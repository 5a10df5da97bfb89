using Apex.Agents.Security;
using Apex.Testing;
using Xunit;

namespace Apex.Agents.Tests.Security;

public sealed class SecretRedactorTests
{
    [Theory]
    [InlineData("key {openai-project} here", "key [REDACTED] here")]
    [InlineData("OPENAI_API_KEY={openai}", "OPENAI_API_KEY=[REDACTED]")]
    [InlineData("x-api-key: {anthropic}", "x-api-key: [REDACTED]")]
    [InlineData("aws {aws} in config", "aws [REDACTED] in config")]
    [InlineData("token {github}", "token [REDACTED]")]
    [InlineData("{github-fine-grained}", "[REDACTED]")]
    [InlineData("slack {slack}", "slack [REDACTED]")]
    [InlineData("Authorization: Bearer {jwt}", "Authorization: Bearer [REDACTED]")]
    [InlineData("db password=hunter2hunter2 ok", "db password=[REDACTED] ok")]
    [InlineData("DB_PASSWORD='correct horse' next", "DB_PASSWORD=[REDACTED] next")]
    [InlineData("{\"api_key\": \"abc123def456\", \"n\": 1}", "{\"api_key\": [REDACTED], \"n\": 1}")]
    [InlineData("https://h/x?api_key=abc123&q=1", "https://h/x?api_key=[REDACTED]&q=1")]
    [InlineData("client_secret: s3cr3t-value", "client_secret: [REDACTED]")]
    public void Redact_KnownCredentialShapes_AreMasked(string template, string expected)
    {
        Assert.Equal(expected, new SecretRedactor().Redact(FakeSecrets.Expand(template)));
    }

    [Fact]
    public void Redact_ApexApiKey_IsMasked()
    {
        var key = Apex.Core.Security.ApiKeyFormat.Generate();
        Assert.Equal("key [REDACTED] used", new SecretRedactor().Redact($"key {key} used"));
    }

    [Fact]
    public void Redact_PemPrivateKeyBlock_IsMaskedWhole()
    {
        var text = $"before\n{FakeSecrets.PemPrivateKey}\nafter";

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
    public void Redact_TextWithNoCredentialTrigger_IsReturnedWithoutACopy()
    {
        var text = string.Concat(Enumerable.Repeat("The quarterly report shows steady growth in every region. ", 200));

        Assert.Same(text, new SecretRedactor().Redact(text));
    }

    [Theory]
    [InlineData("{aws}")]
    [InlineData("Authorization: BEARER {jwt}")]
    [InlineData("Private_Key = abcdef123456")]
    public void Redact_ShapeAfterLongOrdinaryText_IsStillMasked(string template)
    {
        var prefix = string.Concat(Enumerable.Repeat("Steady growth in every region. ", 300));

        var redacted = new SecretRedactor().Redact(prefix + FakeSecrets.Expand(template));

        Assert.StartsWith(prefix, redacted, StringComparison.Ordinal);
        Assert.EndsWith("[REDACTED]", redacted, StringComparison.Ordinal);
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
