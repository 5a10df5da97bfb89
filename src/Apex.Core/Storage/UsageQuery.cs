using System.Data.Common;

namespace Apex.Core.Storage;

/// <summary>
/// The aggregate part of the usage query over <c>llm_usage</c>, the same SQL on PostgreSQL and SQLite, and the reader
/// of its rows. The grouping column comes first in the select list, then <see cref="Aggregates"/>.
/// </summary>
public static class UsageQuery
{
    /// <summary>Sums of a group: tokens, cost, calls, tasks, then the cascade's decisions, cost and top-model baseline.</summary>
    public const string Aggregates = """
        CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), CAST(SUM(cost_nanousd) AS BIGINT),
        CAST(SUM(api_calls) AS BIGINT), COUNT(DISTINCT task_id),
        CAST(SUM(CASE WHEN cascade_outcome = 'accepted' THEN 1 ELSE 0 END) AS BIGINT),
        CAST(SUM(CASE WHEN cascade_outcome = 'rejected' THEN 1 ELSE 0 END) AS BIGINT),
        CAST(SUM(CASE WHEN cascade_outcome = 'provider_error' THEN 1 ELSE 0 END) AS BIGINT),
        CAST(SUM(CASE WHEN cascade_step IS NOT NULL THEN cost_nanousd ELSE 0 END) AS BIGINT),
        CAST(COALESCE(SUM(top_cost_nanousd), 0) AS BIGINT)
        """;

    /// <summary>Reads one row: the key at ordinal 0, then <see cref="Aggregates"/>.</summary>
    public static UsageGroup Read(DbDataReader reader)
    {
        var accepted = reader.GetInt64(6);
        var rejected = reader.GetInt64(7);
        var errors = reader.GetInt64(8);
        return new UsageGroup(reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2),
            StoreValues.FromNanos(reader.GetInt64(3)), reader.GetInt64(4), reader.GetInt64(5))
        {
            Cascade = accepted + rejected + errors == 0
                ? null
                : new CascadeTotals(accepted, rejected, errors, StoreValues.FromNanos(reader.GetInt64(9)), StoreValues.FromNanos(reader.GetInt64(10))),
        };
    }
}
