namespace Apex.Postgres;

/// <summary>What a write locks, so the writer can order a group (see <see cref="PostgresWriter"/>).</summary>
internal readonly record struct WriteKey(WritePhase Phase, Guid? Task = null, Guid? Dag = null)
{
    public static WriteKey None { get; } = new(WritePhase.First);

    public static WriteKey Claim { get; } = new(WritePhase.Last);

    /// <summary>A write on a task; grouped with its DAG's writes when it has one.</summary>
    public static WriteKey OfTask(Guid taskId) => new(WritePhase.Keyed, Task: taskId);

    public static WriteKey OfDag(Guid dagId) => new(WritePhase.Keyed, Dag: dagId);
}
