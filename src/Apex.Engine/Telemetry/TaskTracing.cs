using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Apex.Engine.Telemetry;

/// <summary>
/// The spans of a task's life (submit, dispatch, claim, run, complete) in every process that touches it, and the W3C
/// trace context a task carries from its submission to each of its attempts (stored with the task, sent in the work
/// and result messages). Without a listener <see cref="Source"/> starts nothing and nothing is allocated or stored.
/// </summary>
public static partial class TaskTracing
{
    /// <summary>The ActivitySource name of the task lifecycle, in the API server and the workers alike.</summary>
    public const string SourceName = "Apex.Tasks";

    /// <summary>Span attribute: the task id.</summary>
    public const string TaskIdTag = "apex.task.id";

    /// <summary>Span attribute: the task's DAG id.</summary>
    public const string DagIdTag = "apex.dag.id";

    /// <summary>Span attribute: the agent's name.</summary>
    public const string AgentTag = "apex.agent";

    /// <summary>Span attribute: the attempt (the fencing token).</summary>
    public const string AttemptTag = "apex.task.attempt";

    /// <summary>Span attribute: how the attempt ended (<c>succeeded</c>, <c>failed</c>, ...).</summary>
    public const string OutcomeTag = "apex.task.outcome";

    /// <summary>Span attribute: the error code of a failed attempt.</summary>
    public const string ErrorCodeTag = "apex.task.error_code";

    /// <summary>The source of every task span.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(TaskTracing).Assembly.GetName().Version?.ToString());

    private static readonly Func<ILogger, Guid, Guid?, int, IDisposable?> TaskScope =
        LoggerMessage.DefineScope<Guid, Guid?, int>("Task {TaskId} DAG {DagId} attempt {Attempt}");

    /// <summary>
    /// A scope holding the task's id, DAG and attempt, so every line logged while the attempt runs (by any logger of the
    /// process) carries them.
    /// </summary>
    public static IDisposable? BeginTaskScope(this ILogger logger, Guid taskId, Guid? dagId, int attempt) => TaskScope(logger, taskId, dagId, attempt);

    /// <summary>
    /// The W3C context of <paramref name="activity"/> (traceparent, tracestate) to store or send with a task; nulls
    /// without one (nobody listens: nothing is stored).
    /// </summary>
    public static (string? TraceParent, string? TraceState) ContextOf(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? (activity.Id, activity.TraceStateString) : (null, null);

    /// <summary>
    /// Starts a span of one task as a child of the context it carries (<paramref name="traceParent"/>, W3C; none: a new
    /// trace, or the current span), with its ids as attributes. Null when nobody listens.
    /// </summary>
    /// <param name="name">Span name.</param>
    /// <param name="kind">Producer for what goes onto a queue, consumer for what comes from one.</param>
    /// <param name="traceParent">The task's stored or received traceparent, or null.</param>
    /// <param name="traceState">Its tracestate, or null.</param>
    /// <param name="task">The task's ids.</param>
    /// <param name="startTime">When the work began, if before now (default: now).</param>
    public static Activity? StartTask(string name, ActivityKind kind, string? traceParent, string? traceState, in TaskSpanIds task,
        DateTimeOffset startTime = default)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var parent = traceParent is { Length: > 0 } && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parsed) ? parsed : default;
        var activity = Source.StartActivity(name, kind, parent, startTime: startTime);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(TaskIdTag, task.TaskId.ToString());
            if (task.DagId is { } dagId)
            {
                activity.SetTag(DagIdTag, dagId.ToString());
            }
            if (task.Agent is not null)
            {
                activity.SetTag(AgentTag, task.Agent);
            }
            activity.SetTag(AttemptTag, task.Attempt);
        }
        return activity;
    }

    /// <summary>
    /// Like <see cref="StartTask"/>, but leaves <see cref="Activity.Current"/> as it was: for spans of several tasks open
    /// at once on one flow (a dispatch batch), which must not become each other's parents. Stop it with <see cref="StopDetached"/>.
    /// </summary>
    public static Activity? StartDetached(string name, ActivityKind kind, string? traceParent, string? traceState, in TaskSpanIds task)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var current = Activity.Current;
        var activity = StartTask(name, kind, traceParent, traceState, task);
        Activity.Current = current;
        return activity;
    }

    /// <summary>Stops a span of <see cref="StartDetached"/>, leaving <see cref="Activity.Current"/> as it was.</summary>
    public static void StopDetached(Activity? activity)
    {
        if (activity is null)
        {
            return;
        }
        var current = Activity.Current;
        activity.Stop();
        Activity.Current = current;
    }

    /// <summary>Records a finished child span of <paramref name="parent"/> that ran from <paramref name="start"/> to now (the claim, timed before its task was known).</summary>
    public static void RecordChild(Activity? parent, string name, DateTimeOffset start)
    {
        if (parent is not { IsAllDataRequested: true })
        {
            return;
        }
        var current = Activity.Current;
        Source.StartActivity(name, ActivityKind.Internal, parent.Context, startTime: start)?.Stop();
        Activity.Current = current;
    }

    /// <summary>Marks the span of an attempt with how it ended; an error code also sets the span's status to error.</summary>
    public static void SetOutcome(Activity? activity, string outcome, string? errorCode)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }
        activity.SetTag(OutcomeTag, outcome);
        if (!string.IsNullOrEmpty(errorCode))
        {
            activity.SetTag(ErrorCodeTag, errorCode);
            activity.SetStatus(ActivityStatusCode.Error, errorCode);
        }
    }
}
