using Apex.Core.Approvals;

namespace Apex.Agents.Approvals;

/// <summary>
/// One attempt's view of approvals: which tools need one (<see cref="ApprovalToolRule"/>), and the grants its task
/// holds. Each grant covers one action with one arguments hash, once; what the attempt used is reported with its result.
/// Never granted from inside: only a human, through the API or CLI, turns a request into a grant.
/// </summary>
public sealed class ApprovalGate(IReadOnlyList<ApprovalToolRule> rules, IReadOnlyList<ApprovalGrant> grants)
{
    private readonly List<ApprovalGrant> _unused = [.. grants];
    private readonly List<Guid> _used = [];

    /// <summary>A gate with no rule and no grant: every tool call passes.</summary>
    public static ApprovalGate Open => new([], []);

    /// <summary>The first request this attempt could not pass, if any.</summary>
    public ApprovalRequest? Pending { get; private set; }

    /// <summary>The grants this attempt took.</summary>
    public IReadOnlyList<Guid> Used => _used;

    /// <summary>
    /// Before a tool is invoked: true when it may go ahead (no rule covers it, or a grant for exactly this call was taken);
    /// false when it needs approval, recorded in <see cref="Pending"/>: do not invoke it, end the attempt, and let
    /// <see cref="ThrowIfPending"/> report it.
    /// </summary>
    /// <param name="tool">The tool's name.</param>
    /// <param name="argumentsJson">The call's arguments as JSON.</param>
    public bool TryPassTool(string tool, string argumentsJson)
    {
        var rule = rules.FirstOrDefault(r => string.Equals(r.Tool, tool, StringComparison.Ordinal));
        if (rule is null)
        {
            return true;
        }
        var hash = ApprovalHash.OfArguments(argumentsJson);
        return TryPass(new ApprovalRequest(ApprovalActions.ToolCall, tool, hash, rule.Risk, Summarize(tool, argumentsJson)));
    }

    /// <summary>True when a grant covers <paramref name="request"/> (and is now taken); otherwise records it as pending.</summary>
    public bool TryPass(ApprovalRequest request)
    {
        var grant = _unused.FirstOrDefault(g => g.Action == request.Action && g.Tool == request.Tool && g.ArgsHash == request.ArgsHash);
        if (grant is not null)
        {
            _unused.Remove(grant);
            _used.Add(grant.Id);
            return true;
        }
        Pending ??= request;
        return false;
    }

    /// <summary>
    /// Takes the <see cref="ApprovalActions.Run"/> grants handed to this attempt: the orchestrator checked its run policies
    /// before dispatching it, so an attempt that starts has used them (a remote worker does this first).
    /// </summary>
    public void UseRunGrants()
    {
        foreach (var grant in _unused.Where(g => g.Action == ApprovalActions.Run).ToList())
        {
            _unused.Remove(grant);
            _used.Add(grant.Id);
        }
    }

    /// <summary>After the tool loop ended: throws when a call was held back for approval.</summary>
    /// <exception cref="ApprovalRequiredException">A call needs approval.</exception>
    public void ThrowIfPending()
    {
        if (Pending is { } request)
        {
            throw new ApprovalRequiredException(request);
        }
    }

    private static string Summarize(string tool, string argumentsJson)
    {
        const int MaxArguments = 200;
        var arguments = argumentsJson.Length <= MaxArguments ? argumentsJson : string.Concat(argumentsJson.AsSpan(0, MaxArguments), "…");
        return $"Call {tool} with {arguments}";
    }
}
