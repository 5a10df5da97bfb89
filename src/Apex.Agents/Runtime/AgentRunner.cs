using System.Text;
using System.Text.Json;
using Apex.Agents.Approvals;
using Apex.Agents.Contracts;
using Apex.Agents.Pricing;
using Apex.Agents.ResponseCache;
using Apex.Agents.Routing;
using Apex.Agents.Security;
using Apex.Agents.Simulated;
using Apex.Agents.Tools;
using Apex.Core.Events;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Runtime;

/// <summary>
/// Runs one attempt of a task on its agent. Every call to a model goes through the same per-attempt pipeline:
/// tool calling (only the agent's allow-listed tools, at most its step limit, secrets redacted) over the response cache
/// when it is on, over the contract meter
/// (a call that does not fit the task's limits is never sent) over the usage recorder over the provider's client. An
/// agent with a cascade asks its models cheapest first and keeps the first answer the scorer accepts, each decision a
/// live <see cref="EventTypes.CascadeDecision"/> event; an agent without one streams its answer, each piece a live
/// <see cref="EventTypes.OutputDelta"/> event. Output and error messages leave with known secrets redacted.
/// </summary>
public sealed class AgentRunner
{
    private readonly IChatClientProvider _clients;
    private readonly IOptionsMonitor<PricingOptions> _pricing;
    private readonly IOptionsMonitor<ContractOptions> _contracts;
    private readonly IBudgetLedger _budgets;
    private readonly ToolCatalog _tools;
    private readonly CascadeRouter _router;
    private readonly IOptionsMonitor<RoutingOptions> _routing;
    private readonly SecretRedactor _redactor;
    private readonly LlmResponseCache _cache;
    private readonly AgentMetrics _metrics;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TimeProvider _timeProvider;

    internal AgentRunner(IChatClientProvider clients, IOptionsMonitor<PricingOptions> pricing, IOptionsMonitor<ContractOptions> contracts,
        IBudgetLedger budgets, ToolCatalog tools, CascadeRouter router, IOptionsMonitor<RoutingOptions> routing, SecretRedactor redactor,
        LlmResponseCache cache, AgentMetrics metrics, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        _clients = clients;
        _pricing = pricing;
        _contracts = contracts;
        _budgets = budgets;
        _tools = tools;
        _router = router;
        _routing = routing;
        _redactor = redactor;
        _cache = cache;
        _metrics = metrics;
        _loggerFactory = loggerFactory;
        _timeProvider = timeProvider;
    }

    /// <summary>Runs <paramref name="run"/>; live events go to <paramref name="bus"/>.</summary>
    /// <exception cref="AgentExecutionException">The provider failed, or a contract stopped the attempt; the code says how.</exception>
    public async Task<AgentRunResult> RunAsync(AgentRun run, IEventBus bus, CancellationToken cancellationToken = default)
    {
        var agent = run.Agent;
        var started = _timeProvider.GetTimestamp();
        string? outcome = null;
        var live = new LiveTaskEvents(bus, run, _timeProvider);
        var calls = new AttemptCalls();
        var meter = new ContractMeter(run.Limits, run.UsedBefore, agent.Model, _pricing.CurrentValue, _contracts.CurrentValue, (warning, _) =>
        {
            live.Publish(EventTypes.ContractWarning, new ContractWarningData(run.Attempt, JsonNamingPolicy.SnakeCaseLower.ConvertName(warning.Dimension.ToString()),
                warning.ThresholdPercent, warning.Used, warning.Limit, warning.SharedBudget ? "dag" : "task"), CoreJsonContext.Default.ContractWarningData);
            return ValueTask.CompletedTask;
        }, SharedBudgetOf(run));
        // Structured output where the provider supports it; the answer is checked against the schema either way.
        var schemaJson = run.OutputSchema ?? agent.Settings.OutputSchema;
        var responseFormat = schemaJson is { } outputSchema
            ? ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(outputSchema).RootElement.Clone(), "output")
            : null;
        var toolContext = new ToolContext(run.TenantId, run.TaskId, run.DagId) { Approvals = run.Approvals };
        List<ChatMessage> messages = string.IsNullOrWhiteSpace(agent.SystemPrompt)
            ? [new(ChatRole.User, run.Instruction)]
            : [new(ChatRole.System, agent.SystemPrompt), new(ChatRole.User, run.Instruction)];
        try
        {
            var tools = agent.Settings.Tools.AllowedTools.Count == 0 ? null : await _tools.GetToolsAsync(agent.Settings.Tools, toolContext, cancellationToken);
            var output = agent.Settings.Cascade.Count == 0
                ? await StreamAsync(Pipeline(agent.Model), messages, Options(agent.Model, tools), live, cancellationToken)
                : await CascadeAsync(messages, tools, live, cancellationToken);
            if (agent.Settings.Cascade.Count == 0 && schemaJson is { } schema)
            {
                // The cascade's scorer already held its answers to the schema; a lone model's answer is checked here.
                var score = new ResponseScorer(_routing.CurrentValue).Score(output, expectsJson: true, ResponseScorer.ParseSchema(schema));
                if (!score.Accepted)
                {
                    throw new AgentExecutionException("invalid_output",
                        $"The answer does not satisfy the output schema ({score.Reason}{(score.Detail is null ? "" : ": " + score.Detail)}).", retryable: true);
                }
            }
            run.Approvals.ThrowIfPending();
            outcome = AgentMetrics.Succeeded;
            return new AgentRunResult(_redactor.Redact(output), calls.Total, calls.ByModel);
        }
        catch (SimulatedProviderException e)
        {
            throw Charged(new AgentExecutionException("provider_error", e.Message, retryable: false, e));
        }
        catch (HttpRequestException e)
        {
            throw Charged(new AgentExecutionException("provider_unavailable", e.Message, retryable: true, e));
        }
        catch (AgentExecutionException e)
        {
            throw Charged(e);
        }
        finally
        {
            // An exception that is no AgentExecutionException is an interruption (cancellation, time limit) or a crash.
            outcome ??= cancellationToken.IsCancellationRequested ? AgentMetrics.Interrupted : AgentMetrics.Failed;
            _metrics.AttemptEnded(agent.Name, outcome, _timeProvider.GetElapsedTime(started), calls.ByModel, meter.Violation);
        }

        ChatOptions Options(string model, IList<AITool>? tools) => new() { ModelId = model, Tools = tools, ResponseFormat = responseFormat };

        // The response cache, when on, sits above the meter: a hit is no call, and fits a contract that is used up.
        IChatClient Metered(string model) => _cache.Wrap(agent.Provider, model,
            new MeteredChatClient(new UsageRecordingChatClient(_clients.GetClient(agent.Provider, model), agent.Provider, model, _pricing.CurrentValue, calls), meter));

        IChatClient Pipeline(string model) =>
            agent.Settings.Tools.AllowedTools.Count == 0
                ? Metered(model)
                : ToolCalling.CreateClient(Metered(model), agent.Settings.Tools, toolContext, _redactor, _loggerFactory);

        AgentExecutionException Charged(AgentExecutionException e)
        {
            outcome = e is ApprovalRequiredException ? AgentMetrics.AwaitingApproval : AgentMetrics.Failed;
            var redacted = _redactor.Redact(e.Message);
            // Derived exceptions (a contract violation, an approval request) keep their type: they carry more than a message.
            var charged = redacted == e.Message || e.GetType() != typeof(AgentExecutionException)
                ? e
                : new AgentExecutionException(e.Code, redacted, e.Retryable) { RetryAfter = e.RetryAfter };
            charged.Usage = calls.Total;
            charged.Calls = calls.ByModel;
            return charged;
        }

        async Task<string> CascadeAsync(List<ChatMessage> messages, IList<AITool>? tools, LiveTaskEvents live, CancellationToken cancellationToken)
        {
            // Each model's whole answer is scored before it is kept, so a cascade streams no deltas: a rejected answer's
            // pieces would have been shown as the task's output.
            // A judge, when configured, rates the answers the rules accept; the task pays for its calls like any other.
            var judge = _routing.CurrentValue is { JudgeModel: { Length: > 0 } judgeModel, JudgeThreshold: var threshold }
                ? new ResponseJudge(Metered(judgeModel), judgeModel, threshold)
                : null;
            var result = await _router.RouteAsync(new CascadeRequest
            {
                Models = agent.Settings.Cascade,
                Instruction = run.Instruction,
                Judge = judge,
                ExpectsJson = schemaJson is not null,
                JsonSchema = schemaJson,
            },
                async (model, ct) =>
                {
                    try
                    {
                        return await Pipeline(model).GetResponseAsync(messages, Options(model, tools), ct);
                    }
                    catch (SimulatedProviderException e)
                    {
                        throw new AgentExecutionException("provider_error", e.Message, retryable: false, e);
                    }
                },
                cancellationToken);
            var top = agent.Settings.Cascade[^1];
            foreach (var d in result.Decisions)
            {
                calls.Mark(new CascadeStep(d.Step, d.Model, d.Outcome, d.Reason, d.Final,
                    d.Final ? _pricing.CurrentValue.CostOf(top, d.Usage.InputTokens, d.Usage.OutputTokens) : null));
                live.Publish(EventTypes.CascadeDecision, new CascadeDecisionData(run.Attempt, d.Step, d.Model, d.Outcome, d.Reason, d.Score, d.Final,
                    d.Usage, (long)d.Latency.TotalMilliseconds), CoreJsonContext.Default.CascadeDecisionData);
            }
            return result.Response.Text;
        }
    }

    /// <summary>The DAG's budget, when the task's DAG has one: every task of the DAG reserves from it, on any worker.</summary>
    private SharedBudget? SharedBudgetOf(AgentRun run) =>
        run is { DagId: { } dagId, DagLimits: { } limits } && (limits.TokenLimit ?? limits.CostLimit ?? (object?)limits.ApiCallLimit) is not null
            ? new SharedBudget(_budgets, $"dag:{dagId:N}", limits, run.DagUsedBefore)
            : null;



    private async Task<string> StreamAsync(IChatClient client, List<ChatMessage> messages, ChatOptions options, LiveTaskEvents live,
        CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        // Text received but not yet published. Models stream in pieces cut anywhere, inside words too, so a secret can
        // arrive in several pieces that each look harmless: text is published redacted, and only up to a point where no
        // secret can be open (see SafeCut). A one-piece answer publishes no delta: its output arrives with the task's
        // terminal event anyway.
        var pending = new StringBuilder();
        var pieces = 0;
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            var text = update.Text;
            if (string.IsNullOrEmpty(text))
            {
                continue;
            }
            output.Append(text);
            if (!live.Wants(EventTypes.OutputDelta))
            {
                pending.Clear(); // nobody would see the delta: the output has the text, and a later watcher starts from here
                continue;
            }
            pending.Append(text);
            if (++pieces > 1)
            {
                Publish(SafeCut(pending));
            }
        }
        if (pieces > 1)
        {
            Publish(pending.Length);
        }
        return output.ToString();

        void Publish(int length)
        {
            if (length == 0)
            {
                return;
            }
            var text = pending.ToString(0, length);
            pending.Remove(0, length);
            live.Publish(EventTypes.OutputDelta, new OutputDeltaData(live.Run.Attempt, _redactor.Redact(text)), CoreJsonContext.Default.OutputDeltaData);
        }
    }

    /// <summary>Longest run of pending text held back waiting for a boundary; past it the text is published anyway.</summary>
    internal const int MaxHeldDeltaChars = 8 * 1024;

    /// <summary>
    /// How much of <paramref name="pending"/> can be published now: up to its last whitespace (keys and tokens have
    /// none, so none is cut in two), but never into a PEM block that has not ended (it spans lines).
    /// </summary>
    internal static int SafeCut(StringBuilder pending)
    {
        var text = pending.ToString();
        var limit = text.Length;
        var begin = text.IndexOf("-----BEGIN", StringComparison.Ordinal);
        if (begin >= 0)
        {
            var end = text.IndexOf("-----END", begin, StringComparison.Ordinal);
            var close = end < 0 ? -1 : text.IndexOf("-----", end + 8, StringComparison.Ordinal);
            if (close >= 0)
            {
                return close + 5; // the whole block, which the redactor recognises as one
            }
            limit = begin;
        }
        for (var i = limit - 1; i >= 0; i--)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                return i + 1;
            }
        }
        return limit == text.Length && text.Length > MaxHeldDeltaChars ? text.Length : 0;
    }
}
