using System.Text;
using Apex.Contracts.Approvals;
using Apex.Contracts.Tasks;
using Apex.Core.Approvals;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Sqlite;

public sealed partial class SqliteApexStore
{
    /// <inheritdoc />
    public Task<ApprovalRecord?> GetApprovalAsync(string tenantId, Guid approvalId, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            using var command = Command(c, $"SELECT {Rows.ApprovalColumns} FROM approvals WHERE id = $id AND tenant_id = $tenant",
                ("$id", approvalId.ToString()), ("$tenant", tenantId));
            using var reader = command.ExecuteReader();
            return reader.Read() ? Rows.ReadApproval(reader) : null;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<RecordPage<ApprovalRecord>> ListApprovalsAsync(ApprovalQuery query, CancellationToken cancellationToken = default) =>
        ReadAsync(c =>
        {
            var sql = new StringBuilder($"SELECT {Rows.ApprovalColumns} FROM approvals WHERE tenant_id = $tenant");
            var parameters = new List<(string, object?)> { ("$tenant", query.TenantId) };
            if (query.Status is { } status)
            {
                sql.Append(" AND status = $status");
                parameters.Add(("$status", status.Name()));
            }
            if (query.TaskId is { } taskId)
            {
                sql.Append(" AND task_id = $task");
                parameters.Add(("$task", taskId.ToString()));
            }
            return NewestFirst(c, sql, parameters, query.Cursor, query.Limit, Rows.ReadApproval, r => (r.CreatedAt, r.Id));
        }, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ApprovalGrant>> ListGrantsAsync(IReadOnlyCollection<Guid> taskIds, CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<ApprovalGrant>>(c =>
        {
            var grants = new List<ApprovalGrant>();
            foreach (var taskId in taskIds)
            {
                using var command = Command(c, "SELECT id, action, tool, args_hash FROM approvals WHERE task_id = $task AND status = 'approved' ORDER BY created_at",
                    ("$task", taskId.ToString()));
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    grants.Add(new ApprovalGrant(Guid.Parse(reader.GetString(0)), taskId, reader.GetString(1), reader.GetString(2), reader.GetString(3)));
                }
            }
            return grants;
        }, cancellationToken);

    /// <inheritdoc />
    public Task<TransitionOutcome> DecideApprovalAsync(string tenantId, Guid approvalId, ApprovalDecision decision, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var approval = LoadApproval(ctx, approvalId);
            if (approval is null || approval.TenantId != tenantId)
            {
                throw new ApexNotFoundException("approval", approvalId.ToString());
            }
            var task = LoadTask(ctx, null, approval.TaskId);
            if (approval.Status != ApprovalState.Pending || task is not { Status: TaskState.AwaitingApproval } || approval.ExpiresAt <= ctx.NowOffset)
            {
                throw ApprovalErrors.NotPending(approval, ctx.NowOffset);
            }
            var changes = new TransitionChanges();
            if (decision.Approve)
            {
                CloseApproval(ctx, approval, ApprovalState.Approved, decision.DecidedBy, decision.Reason);
                ctx.Execute("UPDATE tasks SET status = 'queued', run_at = NULL, version = version + 1 WHERE id = $id", ("$id", task.Id.ToString()));
                ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskApproved,
                    new TaskApprovedData(approval.Id), CoreJsonContext.Default.TaskApprovedData, task.DagId);
                StartOrReady(ctx, new DispatchItem(task.Id, task.Priority, 0, DispatchItem.Lane(task.TenantId, task.Agent)), changes);
                return changes.ToOutcome();
            }
            CloseApproval(ctx, approval, ApprovalState.Rejected, decision.DecidedBy, decision.Reason);
            End(ctx, task, TaskState.Failed, null, ApprovalErrors.Rejected(approval, decision), UsageDelta.None);
            Propagate(ctx, task, TaskState.Failed, changes);
            return changes.ToOutcome();
        }, cancellationToken);

    /// <inheritdoc />
    public Task<ExpiryOutcome> ExpireApprovalsAsync(int max, CancellationToken cancellationToken = default) =>
        WriteAsync(ctx =>
        {
            var due = new List<ApprovalRecord>();
            using (var reader = ctx.Query($"""
                SELECT {Rows.ApprovalColumns} FROM approvals WHERE status = 'pending' AND expires_at <= $now ORDER BY expires_at LIMIT $max
                """, ("$now", ctx.Now), ("$max", max)))
            {
                while (reader.Read())
                {
                    due.Add(Rows.ReadApproval(reader));
                }
            }
            var changes = new TransitionChanges();
            foreach (var approval in due)
            {
                CloseApproval(ctx, approval, ApprovalState.Expired, null, null);
                if (LoadTask(ctx, null, approval.TaskId) is { Status: TaskState.AwaitingApproval } task)
                {
                    End(ctx, task, TaskState.Failed, null, ApprovalErrors.Expired(approval), UsageDelta.None);
                    Propagate(ctx, task, TaskState.Failed, changes);
                }
            }
            return new ExpiryOutcome(due.Count, changes.ToOutcome());
        }, cancellationToken);

    /// <summary>Running → awaiting_approval, with the approval row and both aggregates' events.</summary>
    private static void AwaitApproval(WriteContext ctx, TaskRecord task, AttemptResult result)
    {
        var request = result.Approval ?? throw new ArgumentException("An awaiting_approval result carries no approval.", nameof(result));
        var id = Guid.CreateVersion7(ctx.NowOffset);
        var expiresAt = result.ApprovalExpiresAt ?? ctx.NowOffset + ApprovalErrors.DefaultTtl;
        ctx.Execute("""
            INSERT INTO approvals (id, tenant_id, task_id, dag_id, attempt, action, tool, args_hash, risk, summary, status, created_at, expires_at, version)
            VALUES ($id, $tenant, $task, $dag, $attempt, $action, $tool, $hash, $risk, $summary, 'pending', $now, $expires, 1)
            """,
            ("$id", id.ToString()), ("$tenant", task.TenantId), ("$task", task.Id.ToString()), ("$dag", task.DagId?.ToString()),
            ("$attempt", task.Attempt), ("$action", request.Action), ("$tool", request.Tool), ("$hash", request.ArgsHash), ("$risk", request.Risk),
            ("$summary", request.Summary), ("$now", ctx.Now), ("$expires", expiresAt.ToUnixTimeMilliseconds()));
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
            ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(expiresAt.ToUnixTimeMilliseconds()),
        }, CoreJsonContext.Default.ApprovalRequestedData, task.DagId);
        var usage = result.Usage;
        ctx.Execute("""
            UPDATE tasks SET status = 'awaiting_approval', input_tokens = input_tokens + $in, output_tokens = output_tokens + $out,
                cost_nanousd = cost_nanousd + $cost, api_calls = api_calls + $calls, version = version + 1
            WHERE id = $id
            """,
            ("$id", task.Id.ToString()), ("$in", usage.InputTokens), ("$out", usage.OutputTokens), ("$cost", StoreValues.ToNanos(usage.CostUsd)),
            ("$calls", usage.ApiCalls));
        ctx.Append(task.TenantId, EventTypes.Task, task.Id, task.Version + 1, EventTypes.TaskAwaitingApproval,
            new TaskAwaitingApprovalData(task.Attempt, id, usage), CoreJsonContext.Default.TaskAwaitingApprovalData, task.DagId);
    }

    /// <summary>Marks the approvals an attempt took as used: each covers one action, once.</summary>
    private static void UseApprovals(WriteContext ctx, TaskRecord task, AttemptResult result)
    {
        foreach (var id in result.ApprovalsUsed)
        {
            var version = ctx.Scalar("""
                UPDATE approvals SET status = 'used', version = version + 1 WHERE id = $id AND task_id = $task AND status = 'approved' RETURNING version
                """, ("$id", id.ToString()), ("$task", task.Id.ToString()));
            if (version is long v)
            {
                ctx.Append(task.TenantId, EventTypes.Approval, id, (int)v, EventTypes.ApprovalUsed, new ApprovalUsedData(result.Attempt),
                    CoreJsonContext.Default.ApprovalUsedData, task.DagId);
            }
        }
    }

    /// <summary>A task that awaited an approval ended otherwise (cancelled, its DAG failed): the approval is withdrawn.</summary>
    private static void CancelPendingApprovals(WriteContext ctx, TaskRecord task)
    {
        var pending = new List<ApprovalRecord>();
        using (var reader = ctx.Query($"SELECT {Rows.ApprovalColumns} FROM approvals WHERE task_id = $task AND status = 'pending'",
            ("$task", task.Id.ToString())))
        {
            while (reader.Read())
            {
                pending.Add(Rows.ReadApproval(reader));
            }
        }
        foreach (var approval in pending)
        {
            CloseApproval(ctx, approval, ApprovalState.Cancelled, null, ApprovalErrors.WithdrawnReason);
        }
    }

    private static void CloseApproval(WriteContext ctx, ApprovalRecord approval, ApprovalState status, string? decidedBy, string? reason)
    {
        ctx.Execute("""
            UPDATE approvals SET status = $status, decided_at = $now, decided_by = $by, reason = $reason, version = version + 1 WHERE id = $id
            """, ("$id", approval.Id.ToString()), ("$status", status.Name()), ("$now", ctx.Now), ("$by", decidedBy), ("$reason", reason));
        var type = status switch
        {
            ApprovalState.Approved => EventTypes.ApprovalGranted,
            ApprovalState.Rejected => EventTypes.ApprovalRejected,
            ApprovalState.Expired => EventTypes.ApprovalExpired,
            _ => EventTypes.ApprovalCancelled,
        };
        ctx.Append(approval.TenantId, EventTypes.Approval, approval.Id, approval.Version + 1, type, new ApprovalClosedData(decidedBy, reason),
            CoreJsonContext.Default.ApprovalClosedData, approval.DagId);
    }

    private static ApprovalRecord? LoadApproval(WriteContext ctx, Guid approvalId)
    {
        using var reader = ctx.Query($"SELECT {Rows.ApprovalColumns} FROM approvals WHERE id = $id", ("$id", approvalId.ToString()));
        return reader.Read() ? Rows.ReadApproval(reader) : null;
    }
}
