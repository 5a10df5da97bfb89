using Xunit;

namespace Apex.Testing;

/// <summary>
/// The PostgreSQL and Redis servers of the integration tests, named by environment variables (<c>.ci/services.sh</c>
/// starts throwaway ones). A test that needs a missing one skips, except under <c>CI=true</c>, where it fails: those
/// tests must run in CI.
/// </summary>
public static class TestServices
{
    /// <summary>The variable holding a PostgreSQL connection string.</summary>
    public const string PostgresVariable = "APEX_TEST_PG";

    /// <summary>The variable holding a Redis endpoint (<c>HOST:PORT</c>).</summary>
    public const string RedisVariable = "APEX_TEST_REDIS";

    /// <summary>The PostgreSQL server's connection string, or null.</summary>
    public static string? Postgres => Value(PostgresVariable);

    /// <summary>The Redis endpoint, or null.</summary>
    public static string? Redis => Value(RedisVariable);

    /// <summary>Whether this runs in CI, where a missing server is a failure rather than a skip.</summary>
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns the value of <paramref name="variable"/>; without one, skips the calling test (fails it under CI).</summary>
    public static string Require(string variable, string what)
    {
        if (Value(variable) is { } value)
        {
            return value;
        }
        if (IsCi)
        {
            Assert.Fail($"{variable} must name {what} when CI=true.");
        }
        Assert.Skip($"{variable} is not set; this test needs {what} (see .ci/services.sh).");
        return "";
    }

    private static string? Value(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value.Trim() : null;
}
