namespace Apex.Postgres;

/// <summary>Where a write runs inside its group (see <see cref="PostgresWriter"/>).</summary>
internal enum WritePhase
{
    /// <summary>Inserts and other writes that wait on no existing task or DAG row.</summary>
    First,

    /// <summary>Writes on one task or DAG, ordered by DAG (or task) id so concurrent groups lock in the same order.</summary>
    Keyed,

    /// <summary>Claims: they lock queued tasks with SKIP LOCKED, so they go last and hold their locks the shortest.</summary>
    Last,
}
