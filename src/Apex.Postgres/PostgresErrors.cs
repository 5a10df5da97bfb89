using Npgsql;

namespace Apex.Postgres;

/// <summary>Which database failures mean "try again later" rather than "this request is wrong".</summary>
internal static class PostgresErrors
{
    /// <summary>
    /// The server cannot be reached or cannot serve right now: connection refused or lost, pool exhausted, timeouts,
    /// shutdown or restart (57P0x), too many connections or no resources (53xxx), a standby after a failover (25006),
    /// a cancelled statement (57014). These become 503 with Retry-After.
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState.StartsWith("08", StringComparison.Ordinal)
            || pg.SqlState.StartsWith("53", StringComparison.Ordinal)
            || pg.SqlState is "57P01" or "57P02" or "57P03" or "57014" or "25006" or "40001" or "40P01" or "55P03",
        NpgsqlException => true,
        TimeoutException => true,
        _ => false,
    };

    /// <summary>The transaction lost a race with another one (deadlock, serialization); running it again is safe.</summary>
    public static bool IsTransient(Exception exception) =>
        exception is PostgresException { SqlState: "40P01" or "40001" };

    public static bool IsUniqueViolation(Exception exception, string constraint) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg && pg.ConstraintName == constraint;
}
