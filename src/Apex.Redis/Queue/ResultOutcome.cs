namespace Apex.Redis.Queue;

/// <summary>How an attempt ended, as a worker reports it (field <c>outcome</c>).</summary>
public enum ResultOutcome
{
    /// <summary><c>succeeded</c>: the output is in the message.</summary>
    Succeeded,

    /// <summary><c>failed</c>: the error is in the message.</summary>
    Failed,

    /// <summary><c>released</c>: the worker gave the attempt back unfinished (graceful shutdown); re-queue at once.</summary>
    Released,

    /// <summary><c>awaiting_approval</c>: an action needs a human's approval; the request is in the <c>approval_*</c> fields.</summary>
    AwaitingApproval,
}
