using Microsoft.Extensions.Time.Testing;
using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Postgres;
using Npgsql;
using Xunit;

namespace Apex.Store.Tests;

public sealed partial class PostgresStoreTests
{
    [Fact]
    public async Task ClaimNext_TwoServersAtOnce_NeverClaimTheSameTask()
    {
        var other = await SecondServerAsync();
        var specs = Enumerable.Range(0, 400).Select(i => Spec(priority: i % 4)).ToArray();
        await Store.SubmitTasksAsync(specs, null, Ct);
        var claims = new ConcurrentQueue<(string Server, Guid Id)>();

        async Task DrainAsync(IApexStore server, string name)
        {
            while (await server.ClaimNextAsync(7, name, Ct) is { Count: > 0 } batch)
            {
                foreach (var task in batch)
                {
                    claims.Enqueue((name[..1], task.Id));
                }
            }
        }
        await Task.WhenAll(DrainAsync(Store, "a1"), DrainAsync(Store, "a2"), DrainAsync(other, "b1"), DrainAsync(other, "b2"));

        Assert.Equal(specs.Select(s => s.Id).Order(), claims.Select(c => c.Id).Order());
        Assert.Contains(claims, c => c.Server == "a");
        Assert.Contains(claims, c => c.Server == "b");
        Assert.Equal(400L, await ScalarAsync<long>("SELECT count(DISTINCT aggregate_id) FROM events WHERE event_type = 'task_started'"));
        Assert.Equal(400L, await ScalarAsync<long>("SELECT count(*) FROM events WHERE event_type = 'task_started'"));
    }

    [Fact]
    public async Task Initialize_TwoServersAtOnceOnAnEmptyDatabase_BothSucceed()
    {
        var empty = await database.CreateDatabaseAsync();
        var a = NewServer(empty, new RecordingEventBus(), Time);
        var b = NewServer(empty, new RecordingEventBus(), Time);

        await Task.WhenAll(a.InitializeAsync(Ct), b.InitializeAsync(Ct));

        Assert.True((await a.SubmitTasksAsync([Spec()], null, Ct)).Created);
        Assert.True((await b.SubmitTasksAsync([Spec()], null, Ct)).Created);
        await using var dataSource = NpgsqlDataSource.Create(empty);
        await using var command = dataSource.CreateCommand("SELECT array_agg(version ORDER BY version) FROM schema_migrations");
        Assert.Equal(PostgresMigrations.All.Select(m => m.Version), (int[])(await command.ExecuteScalarAsync(Ct))!);
    }

    [Fact]
    public async Task Complete_FanInsOnTwoServersAtOnce_QueueEachSinkOnceAndCountEveryTask()
    {
        var other = await SecondServerAsync();
        var dags = Enumerable.Range(0, 6).Select(_ => Dag(FailurePolicy.FailFast,
            [.. Enumerable.Range(0, 8).Select(i => Node($"r{i}", "Root.")), Node("sink", "Sink.", [.. Enumerable.Range(0, 8).Select(i => $"r{i}")])])).ToArray();
        foreach (var dag in dags)
        {
            await Store.SubmitDagAsync(dag, null, Ct);
        }
        var roots = await Store.ClaimNextAsync(100, Worker, Ct);
        Assert.Equal(48, roots.Count);

        var outcomes = await Task.WhenAll(roots.Select((t, i) => (i % 2 == 0 ? Store : other).CompleteAsync(new AttemptResult
        {
            TenantId = Tenant,
            TaskId = t.Id,
            Attempt = 1,
            Outcome = AttemptOutcome.Succeeded,
            Output = $"out {i}",
        }, Ct)));

        Assert.All(outcomes, o => Assert.True(o.Applied));
        var sinks = dags.Select(d => d.Tasks[^1].Id).Order().ToArray();
        Assert.Equal(sinks, outcomes.SelectMany(o => o.Dispatch).Select(d => d.Id).Order());
        foreach (var dag in dags)
        {
            Assert.Equal((DagState.Running, 8), ((await DagAsync(dag.Id)).Status, (await DagAsync(dag.Id)).TasksDone));
            Assert.Single(await EventsAsync(dag.Tasks[^1].Id), e => e.EventType == EventTypes.TaskQueued);
        }

        var claimedSinks = await other.ClaimNextAsync(100, Worker, Ct);
        await Task.WhenAll(claimedSinks.Select((t, i) => (i % 2 == 0 ? Store : other).CompleteAsync(new AttemptResult
        {
            TenantId = Tenant,
            TaskId = t.Id,
            Attempt = 1,
            Outcome = AttemptOutcome.Succeeded,
            Output = "sunk",
        }, Ct)));
        foreach (var dag in dags)
        {
            Assert.Equal([EventTypes.DagCreated, EventTypes.DagStarted, EventTypes.DagSucceeded], Types(await DagEventsAsync(dag.Id)));
            Assert.Equal(9, (await DagAsync(dag.Id)).TasksDone);
        }
    }

    /// <summary>
    /// Ready dependents are looked up set-based, in the round trip of a later write's statement. A later write of the
    /// same group that is refused after that statement (its task is unknown) must drop only its own events: the
    /// dependents its statement found for the earlier writes keep their <c>task.queued</c> events and their dispatch.
    /// </summary>
    [Fact]
    public async Task Complete_RefusedWriteAfterOthersInItsGroup_KeepsTheirDependentsQueuedEvents()
    {
        var dags = Enumerable.Range(0, 4).Select(_ => Dag(FailurePolicy.FailFast,
            [.. Enumerable.Range(0, 4).Select(i => Node($"r{i}", "Root.")), Node("sink", "Got {{tasks.r0.output}} {{tasks.r3.output}}.", [.. Enumerable.Range(0, 4).Select(i => $"r{i}")])]))
            .ToArray();
        foreach (var dag in dags)
        {
            await Store.SubmitDagAsync(dag, null, Ct);
        }
        var roots = await Store.ClaimNextAsync(100, Worker, Ct);
        Assert.Equal(16, roots.Count);
        // Ordered after every DAG in the group, so its lookup statement runs once the roots' successes are recorded.
        var unknown = Guid.Parse("ffffffff-ffff-ffff-ffff-ffffffffffff");

        var completions = roots.Select(t => Store.CompleteAsync(Succeeded(t.Id, $"out of {t.Key}"), Ct)).ToList();
        var refused = Store.CompleteAsync(Succeeded(unknown, "nothing"), Ct);
        var outcomes = await Task.WhenAll(completions);
        await Assert.ThrowsAsync<ApexNotFoundException>(() => refused);

        var sinks = dags.Select(d => d.Tasks[^1].Id).Order().ToArray();
        Assert.Equal(sinks, outcomes.SelectMany(o => o.Dispatch).Select(d => d.Id).Order());
        foreach (var dag in dags)
        {
            var queued = Assert.Single(await EventsAsync(dag.Tasks[^1].Id), e => e.EventType == EventTypes.TaskQueued);
            Assert.Equal("Got out of r0 out of r3.", Data(queued, CoreJsonContext.Default.TaskQueuedData).Instruction);
            Assert.Equal((DagState.Running, 4), ((await DagAsync(dag.Id)).Status, (await DagAsync(dag.Id)).TasksDone));
        }

        AttemptResult Succeeded(Guid taskId, string output) =>
            new() { TenantId = Tenant, TaskId = taskId, Attempt = 1, Outcome = AttemptOutcome.Succeeded, Output = output };
    }

    /// <summary>
    /// Every writer wakes for one queued write; the ones that find it taken must not commit an empty group (in a DAG
    /// load run a fifth of all group commits were empty, each taking the append turn from a real one).
    /// </summary>
    [Fact]
    public async Task Writers_WokenTogetherForOneWrite_CommitNoEmptyGroup()
    {
        var sizes = new ConcurrentBag<int>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is { Meter.Name: "Apex.Store", Name: "apex.store.commit.writes" })
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => sizes.Add(value));
        listener.Start();

        for (var i = 0; i < 100; i++)
        {
            await SubmitAsync();
        }

        Assert.True(sizes.Count(s => s > 0) >= 100, $"{sizes.Count} group commits recorded");
        Assert.DoesNotContain(0, sizes);
    }

    [Fact]
    public async Task Fail_TwoTasksOfAFailFastDagOnTwoServersAtOnce_FailsTheDagOnce()
    {
        var other = await SecondServerAsync();
        var dag = Dag(FailurePolicy.FailFast, Node("a", "A."), Node("b", "B."), Node("c", "C."), Node("d", "D.", "a", "b", "c"));
        await Store.SubmitDagAsync(dag, null, Ct);
        await Store.ClaimNextAsync(10, Worker, Ct);
        var ids = (await DagRowsAsync(dag.Id)).ToDictionary(p => p.Key, p => p.Value.Id);

        var outcomes = await Task.WhenAll(
            Store.CompleteAsync(new AttemptResult { TenantId = Tenant, TaskId = ids["a"], Attempt = 1, Outcome = AttemptOutcome.Failed, Error = new TaskError("x", "x") }, Ct),
            other.CompleteAsync(new AttemptResult { TenantId = Tenant, TaskId = ids["b"], Attempt = 1, Outcome = AttemptOutcome.Failed, Error = new TaskError("y", "y") }, Ct));

        Assert.Single(outcomes, o => o.Applied);
        var applied = outcomes.Single(o => o.Applied);
        Assert.Equal(2, applied.CancelRunning.Count);
        Assert.Contains(ids["c"], applied.CancelRunning);
        var record = await DagAsync(dag.Id);
        Assert.Equal((DagState.Failed, 4), (record.Status, record.TasksDone));
        Assert.Equal([EventTypes.DagCreated, EventTypes.DagStarted, EventTypes.DagFailed], Types(await DagEventsAsync(dag.Id)));
        foreach (var id in ids.Values)
        {
            var events = await EventsAsync(id);
            Assert.Single(events, e => EventTypes.IsTerminal(e.EventType));
            AssertFoldsToRow(await RowAsync(id), events);
        }
    }

    [Fact]
    public async Task Events_WrittenByTwoServers_AreReadableInSeqOrderWithoutGaps()
    {
        var other = await SecondServerAsync();
        var dag = Dag(FailurePolicy.Continue, [.. Enumerable.Range(0, 40).Select(i => Node($"n{i}", "N."))]);
        await Store.SubmitDagAsync(dag, null, Ct);
        var claimed = await Store.ClaimNextAsync(100, Worker, Ct);
        var seen = new List<long>();
        var writes = Task.WhenAll(claimed.Select((t, i) => (i % 2 == 0 ? Store : other).CompleteAsync(new AttemptResult
        {
            TenantId = Tenant,
            TaskId = t.Id,
            Attempt = 1,
            Outcome = AttemptOutcome.Succeeded,
            Output = "ok",
        }, Ct)));

        // A reader that resumes after the last seq it saw must end up with every event, in order.
        long after = 0;
        while (true)
        {
            var done = writes.IsCompleted;
            foreach (var e in await Store.GetDagStreamAsync(Tenant, dag.Id, after, 7, Ct))
            {
                seen.Add(e.Seq);
                after = e.Seq;
            }
            if (done && (await Store.GetDagStreamAsync(Tenant, dag.Id, after, 1, Ct)).Count == 0)
            {
                break;
            }
        }
        await writes;

        var all = await Store.GetDagStreamAsync(Tenant, dag.Id, 0, 1_000, Ct);
        Assert.Equal(all.Select(e => e.Seq), seen);
        Assert.Equal(1 + 40 + 40 + 1 + 40 + 1, all.Count);
    }

    [Fact]
    public async Task Writes_AfterTheServerDroppedEveryConnection_FailWith503ThenRecover()
    {
        var task = await SubmitAsync();
        await TerminateConnectionsAsync();

        var write = await Record.ExceptionAsync(() => Store.SubmitTasksAsync([Spec()], null, Ct));
        await TerminateConnectionsAsync();
        var read = await Record.ExceptionAsync(() => Store.GetTaskAsync(Tenant, task.Id, Ct));

        Assert.True(write is null or ApexUnavailableException, $"Expected 503 or success, got {write}");
        Assert.True(read is null or ApexUnavailableException, $"Expected 503 or success, got {read}");
        Assert.True((await Store.SubmitTasksAsync([Spec()], null, Ct)).Created);
        Assert.NotNull(await Store.GetTaskAsync(Tenant, task.Id, Ct));
    }

    [Fact]
    public async Task Complete_GroupThatLosesADeadlock_IsRunAgainAndSucceeds()
    {
        var blocker = await SubmitAsync();
        var a = await SubmitAsync();
        var b = await SubmitAsync();
        await ClaimAsync(a.Id);
        await ClaimAsync(b.Id);
        var (low, high) = string.CompareOrdinal(a.Id.ToString(), b.Id.ToString()) < 0 ? (a.Id, b.Id) : (b.Id, a.Id);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var holdsBlocker = await dataSource.OpenConnectionAsync(Ct);
        await using var holdsHigh = await dataSource.OpenConnectionAsync(Ct);
        await using var blockerTransaction = await holdsBlocker.BeginTransactionAsync(Ct);
        await using var highTransaction = await holdsHigh.BeginTransactionAsync(Ct);
        await LockAsync(holdsBlocker, blocker.Id);
        await LockAsync(holdsHigh, high);

        // The writer waits on the blocker while both completions queue up behind it, so they share the next group.
        var cancel = Store.CancelTaskAsync(Tenant, blocker.Id, Ct);
        await WaitForLockWaitersAsync(1);
        var completions = Task.WhenAll(CompleteAsync(a.Id, 1), CompleteAsync(b.Id, 1));
        await blockerTransaction.CommitAsync(Ct);
        await cancel;
        // The group locks its two tasks in id order: it holds the low one and waits for the high one. Asking for the
        // low one closes the cycle; PostgreSQL aborts the transaction that waited first, the group.
        await WaitForLockWaitersAsync(1);
        await LockAsync(holdsHigh, low);
        await highTransaction.CommitAsync(Ct);

        var outcomes = await completions;
        Assert.All(outcomes, o => Assert.True(o.Applied));
        foreach (var id in new[] { a.Id, b.Id })
        {
            var events = await EventsAsync(id);
            Assert.Single(events, e => e.EventType == EventTypes.TaskSucceeded);
            AssertFoldsToRow(await RowAsync(id), events);
        }
    }

    private static async Task LockAsync(NpgsqlConnection connection, Guid taskId)
    {
        await using var command = new NpgsqlCommand("SELECT 1 FROM tasks WHERE id = @id FOR UPDATE", connection);
        command.Parameters.AddWithValue("id", taskId);
        await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
    }

    private async Task WaitForLockWaitersAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") < count)
        {
            Assert.True(DateTime.UtcNow < deadline, "Nobody waited for the lock.");
            await Task.Delay(10, Ct);
        }
    }

    [Fact]
    public async Task Claim_StampedBeforeAnotherServerCreatedTheTask_StartsItAtItsCreation_AndTheEventsFoldToThatRow()
    {
        // Each writer stamps its batch when it builds it: a claim can be stamped a moment before another writer's batch
        // that created the task and committed first. Here the creating server's clock is 3 ms ahead.
        var ahead = new FakeTimeProvider(Time.GetUtcNow().AddMilliseconds(3));
        var creator = await SecondServerAsync(ahead);
        var task = (await creator.SubmitTasksAsync([Spec()], null, Ct)).Tasks[0];

        var claimed = await ClaimAsync(task.Id);

        Assert.Equal(task.CreatedAt, claimed.StartedAt);
        Assert.True(claimed.StartedAt > Time.GetUtcNow());
        AssertFoldsToRow(claimed, await EventsAsync(task.Id));
    }

    private async Task<PostgresApexStore> SecondServerAsync(TimeProvider? time = null)
    {
        var other = NewServer(database.ConnectionString, new RecordingEventBus(), time ?? Time);
        await other.InitializeAsync(Ct);
        return other;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    private async Task TerminateConnectionsAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Pooling = false }.ConnectionString);
        await using var command = dataSource.CreateCommand(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        await command.ExecuteScalarAsync(Ct);
    }
}

public sealed partial class PostgresStoreTests
{
    [Fact]
    public async Task ClaimNext_WithACap_FourDispatchersOnTwoServers_NeverRunMoreThanTheCapTogether()
    {
        var other = await SecondServerAsync();
        await Store.SubmitTasksAsync([.. Enumerable.Range(0, 60).Select(_ => Spec(tenant: "acme"))], null, Ct);
        var caps = new ConcurrencyCaps(int.MaxValue, new Dictionary<string, int> { ["acme"] = 3 });
        var peak = 0L;
        var done = 0;

        async Task DispatchAsync(IApexStore server, string name)
        {
            while (Volatile.Read(ref done) < 60)
            {
                foreach (var task in await server.ClaimNextAsync(4, name, caps, Ct))
                {
                    // What runs now, committed: never above the cap, whoever claimed.
                    peak = Math.Max(peak, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE status = 'running' AND tenant_id = 'acme'"));
                    await CompleteAsync(task.Id, task.Attempt, tenant: "acme", store: server);
                    Interlocked.Increment(ref done);
                }
            }
        }
        await Task.WhenAll(DispatchAsync(Store, "a1"), DispatchAsync(Store, "a2"), DispatchAsync(other, "b1"), DispatchAsync(other, "b2"));

        Assert.Equal(60, done);
        Assert.InRange(peak, 1, 3);
        Assert.Equal(60L, await ScalarAsync<long>("SELECT count(*) FROM tasks WHERE status = 'succeeded' AND tenant_id = 'acme'"));
    }
}
