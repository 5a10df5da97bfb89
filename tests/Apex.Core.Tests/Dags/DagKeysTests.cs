using Apex.Core.Dags;
using Xunit;

namespace Apex.Core.Tests.Dags;

public sealed class DagKeysTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("Build-step_2.final")]
    [InlineData("...")]
    public void IsValid_AllowedCharacters_ReturnsTrue(string key)
    {
        Assert.True(DagKeys.IsValid(key));
    }

    [Fact]
    public void IsValid_MaxLength_ReturnsTrueAndOneMoreReturnsFalse()
    {
        Assert.True(DagKeys.IsValid(new string('k', DagKeys.MaxLength)));
        Assert.False(DagKeys.IsValid(new string('k', DagKeys.MaxLength + 1)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("ключ")]
    [InlineData("a\n")]
    [InlineData("\na")]
    [InlineData("a\r\n")]
    public void IsValid_ForbiddenCharacters_ReturnsFalse(string? key)
    {
        Assert.False(DagKeys.IsValid(key));
    }
}
