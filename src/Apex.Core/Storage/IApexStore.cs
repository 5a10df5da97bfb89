using Apex.Core.Agents;
using Apex.Core.Approvals;
using Apex.Core.Dags;
using Apex.Core.Events;
using Apex.Core.Tasks;

namespace Apex.Core.Storage;

/// <summary>
/// The source of truth. Every write appends its events in the same transaction as the rows it changes, and
/// every task transition is compare-and-set on (status, attempt).
/// </summary>
public interface IApexStore
{
    /// <summary>Backend name for health output, such as <c>sqlite</c>.</summary>
    string Backend { get; }

    /// <summary>Creates or migrates the schema.</summary>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Round-trips a trivial query; throws when the store is unreachable.</summary>
    Task PingAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts standalone tasks, all or none. With a key, an identical earlier request returns its ids.</summary>
    Task<SubmitOutcome> SubmitTasksAsync(IReadOnlyList<NewTask> tasks, IdempotencyKey? idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>Inserts a DAG and its tasks; tasks with no dependency start queued.</summary>
    Task<DagSubmitOutcome> SubmitDagAsync(NewDag dag, IdempotencyKey? idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>Moves a queued task whose time has come to running and increments its attempt; null if it is not claimable.</summary>
    Task<TaskRecord?> ClaimAsync(Guid taskId, string worker, CancellationToken cancellationToken = default);

    /// <summary>Applies an attempt's result if the attempt is still current; otherwise records it as ignored.</summary>
    Task<TransitionOutcome> CompleteAsync(AttemptResult result, CancellationToken cancellationToken = default);

    /// <summary>Cancels a task that has not finished, with the consequences for its DAG.</summary>
    Task<TransitionOutcome> CancelTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default);

    /// <summary>Cancels every unfinished task of a DAG and the DAG itself.</summary>
    Task<TransitionOutcome> CancelDagAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default);

    /// <summary>Queues a failed or cancelled standalone task again with <paramref name="extraAttempts"/> more attempts.</summary>
    Task<TransitionOutcome> RetryTaskAsync(string tenantId, Guid taskId, int extraAttempts, CancellationToken cancellationToken = default);

    /// <summary>
    /// After a restart: every task left running by a dead process goes back to queued (its next claim is attempt + 1).
    /// Returns every queued task, to be dispatched again.
    /// </summary>
    Task<IReadOnlyList<DispatchItem>> RecoverAsync(string worker, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims up to <paramref name="max"/> queued tasks whose retry time has come, highest priority first and FIFO
    /// within a priority, moving each to running at attempt + 1. Safe when several orchestrators claim at once:
    /// a task is claimed by one of them only. Used by the distributed dispatcher.
    /// </summary>
    Task<IReadOnlyList<TaskRecord>> ClaimNextAsync(int max, string worker, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="ClaimNextAsync(int, string, CancellationToken)"/> that claims no task of a tenant already running as many
    /// as <paramref name="caps"/> allows it, counted in the claim's own transaction, so several dispatchers together never
    /// exceed a cap. A capped tenant's backlog does not hold back the other tenants' tasks.
    /// </summary>
    Task<IReadOnlyList<TaskRecord>> ClaimNextAsync(int max, string worker, ConcurrencyCaps caps, CancellationToken cancellationToken = default);

    /// <summary>Every running task with its current attempt (for the lease sweep).</summary>
    Task<IReadOnlyList<RunningAttempt>> ListRunningAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Puts a task that is running at exactly <paramref name="attempt"/> back to queued (event <c>task_requeued</c>
    /// with <paramref name="reason"/>); its next claim is attempt + 1. False when the task has moved on.
    /// </summary>
    Task<bool> RequeueAsync(Guid taskId, int attempt, string reason, CancellationToken cancellationToken = default);

    /// <summary>One task.</summary>
    Task<TaskRecord?> GetTaskAsync(string tenantId, Guid taskId, CancellationToken cancellationToken = default);

    /// <summary>Tasks, newest first.</summary>
    Task<RecordPage<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken = default);

    /// <summary>Events of one aggregate in version order, after <paramref name="afterSeq"/>.</summary>
    Task<IReadOnlyList<StoredEvent>> GetEventsAsync(string tenantId, string aggregateType, Guid aggregateId, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>Every event of a tenant, in global order, after <paramref name="afterSeq"/> (the WebSocket's channel replays).</summary>
    Task<IReadOnlyList<StoredEvent>> GetEventLogAsync(string tenantId, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>The newest committed seq of any tenant (0 when there is none).</summary>
    Task<long> GetHeadSeqAsync(CancellationToken cancellationToken = default);

    /// <summary>Events of a DAG and of its tasks, in global order, after <paramref name="afterSeq"/>.</summary>
    Task<IReadOnlyList<StoredEvent>> GetDagStreamAsync(string tenantId, Guid dagId, long afterSeq, int limit, CancellationToken cancellationToken = default);

    /// <summary>One DAG.</summary>
    Task<DagRecord?> GetDagAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default);

    /// <summary>A DAG's tasks with their dependency keys.</summary>
    Task<IReadOnlyList<DagTaskRow>> GetDagTasksAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default);

    /// <summary>Usage summed over a DAG's tasks.</summary>
    Task<AgentUsage> GetDagUsageAsync(string tenantId, Guid dagId, CancellationToken cancellationToken = default);

    /// <summary>DAGs, newest first.</summary>
    Task<RecordPage<DagRecord>> ListDagsAsync(DagQuery query, CancellationToken cancellationToken = default);

    /// <summary>Every agent of every tenant (the catalog is small and cached).</summary>
    Task<IReadOnlyList<AgentDefinition>> ListAgentsAsync(CancellationToken cancellationToken = default);

    /// <summary>Inserts or replaces an agent; throws a conflict when the name is taken by another agent.</summary>
    Task UpsertAgentAsync(AgentDefinition agent, CancellationToken cancellationToken = default);

    /// <summary>Deletes an agent; false when absent.</summary>
    Task<bool> DeleteAgentAsync(string tenantId, Guid agentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// What the LLM calls recorded in [<paramref name="from"/>, <paramref name="to"/>) spent, summed by model, agent
    /// or DAG (tasks outside a DAG sum under a null key), largest cost first.
    /// </summary>
    Task<IReadOnlyList<UsageGroup>> GetUsageAsync(string tenantId, UsageGrouping groupBy, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);

    /// <summary>Task counts and usage of an agent.</summary>
    Task<AgentUsage> GetAgentUsageAsync(string tenantId, string agentName, CancellationToken cancellationToken = default);

    /// <summary>One approval.</summary>
    Task<ApprovalRecord?> GetApprovalAsync(string tenantId, Guid approvalId, CancellationToken cancellationToken = default);

    /// <summary>Approvals, newest first.</summary>
    Task<RecordPage<ApprovalRecord>> ListApprovalsAsync(ApprovalQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// Decides a pending approval whose task awaits it: approved, the task is queued for a new attempt (dispatched through
    /// the outcome); rejected, the task fails with <c>approval_rejected</c>, with the consequences for its DAG. Throws a
    /// conflict (<c>approval_not_pending</c>) when it was already decided, expired or withdrawn.
    /// </summary>
    Task<TransitionOutcome> DecideApprovalAsync(string tenantId, Guid approvalId, ApprovalDecision decision, CancellationToken cancellationToken = default);

    /// <summary>
    /// Expires up to <paramref name="max"/> pending approvals whose time has passed and fails their tasks with
    /// <c>approval_expired</c>. Compare-and-set: safe when several servers sweep at once.
    /// </summary>
    Task<ExpiryOutcome> ExpireApprovalsAsync(int max, CancellationToken cancellationToken = default);

    /// <summary>The approved, unused approvals of these tasks, for their next attempts.</summary>
    Task<IReadOnlyList<ApprovalGrant>> ListGrantsAsync(IReadOnlyCollection<Guid> taskIds, CancellationToken cancellationToken = default);
}
