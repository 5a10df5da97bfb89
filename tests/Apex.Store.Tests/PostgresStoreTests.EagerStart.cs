using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Xunit;

namespace Apex.Store.Tests;

public sealed partial class PostgresStoreTests
{
    /// <summary>
    /// A group that fails after it reserved room for a dependent (here its start statement is refused by a trigger)
    /// gives the reservation back and hands nothing over: nothing of it was committed. Run again once the cause is gone,
    /// the completion starts the dependent with the room given back.
    /// </summary>
    [Fact]
    public async Task AGroupThatFailsAfterReserving_GivesTheRoomBack_AndStartsNothing()
    {
        var dag = Dag(FailurePolicy.FailFast, Node("a", "First."), Node("b", "Then {{tasks.a.output}}.", "a"));
        await Store.SubmitDagAsync(dag, null, Ct);
        var rows = await DagRowsAsync(dag.Id);
        await ClaimAsync(rows["a"].Id);
        var starts = UseEagerStarts(idle: 1);
        await ExecuteSqlAsync("""
            CREATE FUNCTION refuse_eager_start() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'eager start refused by the test'; END $$;
            CREATE TRIGGER refuse_eager_start BEFORE UPDATE ON tasks FOR EACH ROW
                WHEN (OLD.status = 'pending' AND NEW.status = 'running') EXECUTE FUNCTION refuse_eager_start()
            """);

        try
        {
            await Assert.ThrowsAnyAsync<Exception>(() => CompleteAsync(rows["a"].Id, 1));
            await starts.SettledAsync();
        }
        finally
        {
            await ExecuteSqlAsync("DROP TRIGGER IF EXISTS refuse_eager_start ON tasks; DROP FUNCTION IF EXISTS refuse_eager_start()");
        }

        Assert.Equal([rows["b"].Id], starts.Reserved);
        Assert.Equal([rows["b"].Id], starts.Released);
        Assert.Empty(starts.Started);
        Assert.Equal(TaskState.Running, (await RowAsync(rows["a"].Id)).Status);
        Assert.Equal(TaskState.Pending, (await RowAsync(rows["b"].Id)).Status);

        await CompleteAsync(rows["a"].Id, 1);
        await starts.SettledAsync();

        Assert.Equal(rows["b"].Id, Assert.Single(starts.Started).Id);
        Assert.Equal(TaskState.Running, (await RowAsync(rows["b"].Id)).Status);
    }
}
