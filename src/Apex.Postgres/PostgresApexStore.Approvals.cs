using System.Text;
using Apex.Contracts.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Approvals;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Postgres;

public sealed partial class PostgresApexStore
{
    /// <summary>Closes an approval: compare-and-set on pending, so two servers deciding or expiring it at once cannot both win.</summary>
    internal const string CloseApprovalSql = """
        UPDATE approvals SET status = @status, decided_at = @now, decided_by = @by, reason = @reason, version = version + 1
        WHERE id = @id AND status = 'pending'
        RETURNING version
        """;

    /// <inheritdoc />
    public Task<ApprovalRecord?> GetApprovalAsync(string tenantId, Guid approvalId, CancellationToken cancellationToken = default) =>
        ReadAsync(async c =>
        {
            await using var command = Command(c, $"SELECT {Rows.ApprovalColumns} FROM approvals WHERE id = @id AND tenant_id = @tenant",
                ("id", approvalId), ("tenant", tenantId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken) ? Rows.ReadApproval(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RecordPage<ApprovalRecord>> ListApprovalsAsync(ApprovalQuery query, CancellationToken cancellationToken = default)
    {
        var cursor = PageCursor.Decode(query.Cursor);
        return ReadAsync(async c =>
        {
            var sql = new StringBuilder($"SELECT {Rows.ApprovalColumns} FROM approvals WHERE tenant_id = @tenant");
            var parameters = new List<(string, object?)> { ("tenant", query.TenantId) };
            if (query.Status is { } status)
            {
                sql.Append(" AND status = @status");
                parameters.Add(("status", status.Name()));
            }
            if (query.TaskId is { } taskId)
            {
                sql.Append(" AND task_id = @task");
                parameters.Add(("task", taskId));
            }
            return await NewestFirstAsync(c, sql, parameters, cursor, query.Limit, Rows.ReadApproval, r => (r.CreatedAt, r.Id), cancellationToken);
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalGrant>> ListGrantsAsync(IReadOnlyCollection<Guid> taskIds, CancellationToken cancellationToken = default) =>
        taskIds.Count == 0
            ? Task.FromResult<IReadOnlyList<ApprovalGrant>>([])
            : ReadAsync<IReadOnlyList<ApprovalGrant>>(async c =>
            {
                await using var command = Command(c, """
                    SELECT id, task_id, action, tool, args_hash FROM approvals WHERE task_id = ANY(@ids) AND status = 'approved' ORDER BY created_at, id
                    """, ("ids", taskIds.ToArray()));
                return await ReadAllAsync(command, r => new ApprovalGrant(r.GetGuid(0), r.GetGuid(1), r.GetString(2), r.GetString(3), r.GetString(4)),
                    cancellationToken);
            }, cancellationToken);

    /// <inheritdoc />
    public async Task<TransitionOutcome> DecideApprovalAsync(string tenantId, Guid approvalId, ApprovalDecision decision, CancellationToken cancellationToken = default)
    {
        // The task (and its DAG) are locked before the approval, as every other write on them does.
        var seen = await GetApprovalAsync(tenantId, approvalId, cancellationToken) ?? throw new ApexNotFoundException("approval", approvalId.ToString());
        return await WriteAsync(WriteKey.OfTask(seen.TaskId), async ctx =>
        {
            var dag = await LockDagOfTaskAsync(ctx, seen.TaskId);
            var task = await LockTaskAsync(ctx, null, seen.TaskId);
            var approval = await ctx.SingleOrDefaultAsync($"SELECT {Rows.ApprovalColumns} FROM approvals WHERE id = @id FOR UPDATE", Rows.ReadApproval,
                ("id", approvalId)) ?? throw new ApexNotFoundException("approval", approvalId.ToString());
            if (approval.Status != ApprovalState.Pending || task is not { Status: TaskState.AwaitingApproval } || approval.ExpiresAt <= ctx.NowOffset)
            {
                throw ApprovalErrors.NotPending(approval, ctx.NowOffset);
            }
            var changes = new TransitionChanges();
            if (decision.Approve)
            {
                await CloseApprovalAsync(ctx, approval, ApprovalState.Approved, decision.DecidedBy, decision.Reason);
                await ExpectOneAsync(ctx, """
                    UPDATE tasks SET status = 'queued', run_at = NULL, version = version + 1 WHERE id = @id AND status = 'awaiting_approval'
                    """, ("id", task.Id));
                ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskApproved,
                    new TaskApprovedData(approval.Id), CoreJsonContext.Default.TaskApprovedData, task.DagId);
                changes.Ready(new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent)));
                return changes.ToOutcome();
            }
            await CloseApprovalAsync(ctx, approval, ApprovalState.Rejected, decision.DecidedBy, decision.Reason);
            await EndAsync(ctx, task, TaskState.Failed, null, ApprovalErrors.Rejected(approval, decision), UsageDelta.None);
            await PropagateAsync(ctx, task, dag, TaskState.Failed, changes);
            return changes.ToOutcome();
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ExpiryOutcome> ExpireApprovalsAsync(int max, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.None, async ctx =>
        {
            var due = await ctx.ListAsync($"""
                SELECT {Rows.ApprovalColumns} FROM approvals WHERE status = 'pending' AND expires_at <= @now ORDER BY expires_at, id LIMIT @max
                """, Rows.ReadApproval, ("now", ctx.NowOffset), ("max", max));
            var changes = new TransitionChanges();
            var expired = 0;
            // In DAG then task order, each DAG and task locked before its approval, as every other write does.
            foreach (var seen in due.OrderBy(a => a.DagId ?? Guid.Empty).ThenBy(a => a.TaskId))
            {
                var dag = await LockDagOfTaskAsync(ctx, seen.TaskId);
                var task = await LockTaskAsync(ctx, null, seen.TaskId);
                var approval = await ctx.SingleOrDefaultAsync($"SELECT {Rows.ApprovalColumns} FROM approvals WHERE id = @id FOR UPDATE", Rows.ReadApproval,
                    ("id", seen.Id));
                if (approval is not { Status: ApprovalState.Pending })
                {
                    continue; // Decided or expired by another server meanwhile.
                }
                await CloseApprovalAsync(ctx, approval, ApprovalState.Expired, null, null);
                expired++;
                if (task is { Status: TaskState.AwaitingApproval })
                {
                    await EndAsync(ctx, task, TaskState.Failed, null, ApprovalErrors.Expired(approval), UsageDelta.None);
                    await PropagateAsync(ctx, task, dag, TaskState.Failed, changes);
                }
            }
            return new ExpiryOutcome(expired, changes.ToOutcome());
        }, cancellationToken);

    /// <summary>Running → awaiting_approval (CAS on the locked status and attempt), with the approval row and both aggregates' events.</summary>
    private static async Task AwaitApprovalAsync(WriteContext ctx, TaskRecord task, AttemptResult result)
    {
        var request = result.Approval ?? throw new ArgumentException("An awaiting_approval result carries no approval.", nameof(result));
        var id = Guid.CreateVersion7(ctx.NowOffset);
        var expiresAt = Rows.Truncate(result.ApprovalExpiresAt ?? ctx.NowOffset + ApprovalErrors.DefaultTtl);
        var usage = result.Usage;
        await ctx.ExecuteBatchAsync(
            ("""
            INSERT INTO approvals (id, tenant_id, task_id, dag_id, attempt, action, tool, args_hash, risk, summary, status, created_at, expires_at, version)
            VALUES (@id, @tenant, @task, @dag, @attempt, @action, @tool, @hash, @risk, @summary, 'pending', @now, @expires, 1)
            """,
            [("id", id), ("tenant", task.TenantId), ("task", task.Id), ("dag", task.DagId), ("attempt", task.Attempt), ("action", request.Action),
                ("tool", request.Tool), ("hash", request.ArgsHash), ("risk", request.Risk), ("summary", request.Summary), ("now", ctx.NowOffset),
                ("expires", expiresAt)]),
            ("""
            UPDATE tasks SET status = 'awaiting_approval', input_tokens = input_tokens + @in, output_tokens = output_tokens + @out,
                cost_nanousd = cost_nanousd + @cost, api_calls = api_calls + @calls, version = version + 1
            WHERE id = @id AND status = 'running' AND attempt = @attempt
            """,
            [("id", task.Id), ("attempt", task.Attempt), ("in", usage.InputTokens), ("out", usage.OutputTokens),
                ("cost", StoreValues.ToNanos(usage.CostUsd)), ("calls", usage.ApiCalls)]));
        ctx.Append(task.TenantId, EventTypes.Approval, id, 1, EventTypes.ApprovalRequested, new ApprovalRequestedData
        {
            TaskId = task.Id,
            DagId = task.DagId,
            Attempt = task.Attempt,
            Action = request.Action,
            Tool = request.Tool,
            ArgsHash = request.ArgsHash,
            Risk = request.Risk,
            Summary = request.Summary,
            ExpiresAt = expiresAt,
        }, CoreJsonContext.Default.ApprovalRequestedData, task.DagId);
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskAwaitingApproval,
            new TaskAwaitingApprovalData(task.Attempt, id, usage), CoreJsonContext.Default.TaskAwaitingApprovalData, task.DagId);
    }

    /// <summary>Marks the approvals an attempt took as used: each covers one action, once.</summary>
    private static async Task UseApprovalsAsync(WriteContext ctx, TaskRecord task, AttemptResult result)
    {
        if (result.ApprovalsUsed.Count == 0)
        {
            return;
        }
        var used = await ctx.ListAsync("""
            UPDATE approvals SET status = 'used', version = version + 1 WHERE id = ANY(@ids) AND task_id = @task AND status = 'approved'
            RETURNING id, version
            """, r => (Id: r.GetGuid(0), Version: r.GetInt32(1)), ("ids", result.ApprovalsUsed.ToArray()), ("task", task.Id));
        foreach (var (id, version) in used.OrderBy(u => u.Id))
        {
            ctx.Append(task.TenantId, EventTypes.Approval, id, version, EventTypes.ApprovalUsed, new ApprovalUsedData(result.Attempt),
                CoreJsonContext.Default.ApprovalUsedData, task.DagId);
        }
    }

    /// <summary>Tasks (locked) that awaited an approval ended otherwise (cancelled, their DAG failed): their approvals are withdrawn.</summary>
    private static async Task CancelPendingApprovalsAsync(WriteContext ctx, IEnumerable<TaskRecord> tasks)
    {
        var awaiting = tasks.Where(t => t.Status == TaskState.AwaitingApproval).ToList();
        if (awaiting.Count == 0)
        {
            return;
        }
        var cancelled = await ctx.ListAsync("""
            UPDATE approvals SET status = 'cancelled', decided_at = @now, reason = @reason, version = version + 1
            WHERE task_id = ANY(@ids) AND status = 'pending'
            RETURNING id, tenant_id, version, dag_id
            """, r => (Id: r.GetGuid(0), Tenant: r.GetString(1), Version: r.GetInt32(2), Dag: Rows.GuidOrNull(r, 3)),
            ("ids", awaiting.Select(t => t.Id).ToArray()), ("now", ctx.NowOffset), ("reason", ApprovalErrors.WithdrawnReason));
        foreach (var approval in cancelled.OrderBy(a => a.Id))
        {
            ctx.Append(approval.Tenant, EventTypes.Approval, approval.Id, approval.Version, EventTypes.ApprovalCancelled,
                new ApprovalClosedData(null, ApprovalErrors.WithdrawnReason), CoreJsonContext.Default.ApprovalClosedData, approval.Dag);
        }
    }

    private static async Task CloseApprovalAsync(WriteContext ctx, ApprovalRecord approval, ApprovalState status, string? decidedBy, string? reason)
    {
        await ExpectOneAsync(ctx, CloseApprovalSql,
            ("id", approval.Id), ("status", status.Name()), ("now", ctx.NowOffset), ("by", decidedBy), ("reason", reason));
        var type = status switch
        {
            ApprovalState.Approved => EventTypes.ApprovalGranted,
            ApprovalState.Rejected => EventTypes.ApprovalRejected,
            _ => EventTypes.ApprovalExpired,
        };
        ctx.Append(approval.TenantId, EventTypes.Approval, approval.Id, approval.Version + 1, type, new ApprovalClosedData(decidedBy, reason),
            CoreJsonContext.Default.ApprovalClosedData, approval.DagId);
    }
}
