using System.Diagnostics.Metrics;
using Apex.Agents.Pricing;
using Apex.Agents.Runtime;
using Apex.Core.Events;
using Json.Schema;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Routing;

/// <summary>
/// Cascade routing (FrugalGPT): calls an agent's models cheapest first and stops at the first answer the
/// <see cref="ResponseScorer"/> (and the judge, when asked) accepts. Retryable provider errors fail over to the next
/// model; a non-retryable error or a contract violation (<c>*_limit_exceeded</c>) stops the cascade and propagates.
/// </summary>
public sealed partial class CascadeRouter
{
    private readonly IOptionsMonitor<RoutingOptions> _routing;
    private readonly IOptionsMonitor<PricingOptions> _pricing;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<CascadeRouter> _logger;
    private readonly CascadeMetrics _metrics;

    /// <summary>Creates a router; decisions are counted on <paramref name="meterFactory"/>'s <c>Apex.Agents</c> meter.</summary>
    public CascadeRouter(
        IOptionsMonitor<RoutingOptions> routing,
        IOptionsMonitor<PricingOptions> pricing,
        IMeterFactory meterFactory,
        TimeProvider timeProvider,
        ILogger<CascadeRouter> logger)
    {
        _routing = routing;
        _pricing = pricing;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = new CascadeMetrics(meterFactory);
    }

    /// <summary>Routes <paramref name="request"/>; <paramref name="callModel"/> calls one model with the task's messages.</summary>
    /// <exception cref="AgentExecutionException">
    /// A non-retryable or limit error from a model or the judge; or the last retryable error when no model answered.
    /// </exception>
    public async Task<CascadeResult> RouteAsync(
        CascadeRequest request,
        Func<string, CancellationToken, Task<ChatResponse>> callModel,
        CancellationToken cancellationToken = default)
    {
        var options = _routing.CurrentValue;
        var pricing = _pricing.CurrentValue;
        var budget = Math.Min(request.Models.Count, request.MaxModels ?? options.MaxModels);
        if (budget < 1)
        {
            throw new AgentExecutionException("cascade_empty", "A cascade needs at least one model and MaxModels ≥ 1.", retryable: false);
        }
        var scorer = new ResponseScorer(options);
        var schema = request.JsonSchema is null ? null : Schema(request.JsonSchema);
        var expectsJson = request.ExpectsJson || schema is not null;

        var decisions = new List<CascadeDecision>(budget);
        (ChatResponse Response, string Model, int Index)? answered = null;
        AgentExecutionException? lastError = null;
        for (var step = 0; step < budget; step++)
        {
            var model = request.Models[step];
            var started = _timeProvider.GetTimestamp();
            ChatResponse response;
            try
            {
                response = await callModel(model, cancellationToken);
            }
            catch (AgentExecutionException e) when (IsFailover(e))
            {
                lastError = e;
                Decide(decisions, new CascadeDecision(step, model, CascadeOutcomes.ProviderError, ScoreReasons.ProviderErrorPrefix + e.Code, 0,
                    Final: false, new UsageDelta(0, 0, 0m, ApiCalls: 1), _timeProvider.GetElapsedTime(started), e.Message));
                continue;
            }
            var latency = _timeProvider.GetElapsedTime(started);
            var input = response.Usage?.InputTokenCount ?? 0;
            var output = response.Usage?.OutputTokenCount ?? 0;
            var usage = new UsageDelta(input, output, pricing.CostOf(model, input, output), ApiCalls: 1);

            var score = scorer.Score(response.Text, expectsJson, schema);
            UsageDelta? judgeUsage = null;
            if (score.Accepted && request.Judge is { } judge)
            {
                (score, judgeUsage) = await JudgeAsync(judge, request.Instruction, response.Text, pricing, cancellationToken);
            }

            answered = (response, model, decisions.Count);
            var outcome = score.Accepted ? CascadeOutcomes.Accepted : CascadeOutcomes.Rejected;
            Decide(decisions, new CascadeDecision(step, model, outcome, score.Reason, score.Score, Final: score.Accepted, usage, latency,
                score.Detail, judgeUsage is null ? null : request.Judge!.Model, judgeUsage));
            if (score.Accepted)
            {
                return new CascadeResult(response, model, Accepted: true, decisions);
            }
        }

        if (answered is not { } last)
        {
            throw lastError!;
        }
        decisions[last.Index] = decisions[last.Index] with { Final = true };
        LogNoneAccepted(_logger, decisions.Count, last.Model);
        return new CascadeResult(last.Response, last.Model, Accepted: false, decisions);
    }

    private static async Task<(ResponseScore Score, UsageDelta Usage)> JudgeAsync(
        ResponseJudge judge, string instruction, string answer, PricingOptions pricing, CancellationToken cancellationToken)
    {
        try
        {
            var rating = await judge.RateAsync(instruction, answer, cancellationToken);
            var usage = new UsageDelta(rating.InputTokens, rating.OutputTokens, pricing.CostOf(judge.Model, rating.InputTokens, rating.OutputTokens), ApiCalls: 1);
            var score = rating.Rating switch
            {
                null => ResponseScore.Reject(ScoreReasons.JudgeBelowThreshold, "the judge's reply held no rating"),
                var r when r >= judge.Threshold => new ResponseScore(true, ScoreReasons.Accepted, r.Value),
                var r => ResponseScore.Reject(ScoreReasons.JudgeBelowThreshold, $"{r:0.###} < {judge.Threshold:0.###}", r.Value),
            };
            return (score, usage);
        }
        catch (AgentExecutionException e) when (IsFailover(e))
        {
            // Without a rating the answer is unproven; the next model is the safe choice.
            return (ResponseScore.Reject(ScoreReasons.JudgeErrorPrefix + e.Code, e.Message), new UsageDelta(0, 0, 0m, ApiCalls: 1));
        }
    }

    private void Decide(List<CascadeDecision> decisions, CascadeDecision decision)
    {
        decisions.Add(decision);
        _metrics.Decided(decision);
        LogDecision(_logger, decision.Step, decision.Model, decision.Outcome, decision.Reason, decision.Score);
    }

    private static bool IsFailover(AgentExecutionException e) =>
        e.Retryable && !e.Code.EndsWith("_limit_exceeded", StringComparison.Ordinal);

    private static JsonSchema Schema(string text)
    {
        try
        {
            return ResponseScorer.ParseSchema(text);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or JsonSchemaException)
        {
            throw new AgentExecutionException("invalid_json_schema", $"The task's JSON schema does not parse: {e.Message}", retryable: false, e);
        }
    }

    [LoggerMessage(EventId = 9501, Level = LogLevel.Debug, Message = "Cascade step {Step} on {Model}: {Outcome} ({Reason}, score {Score})")]
    private static partial void LogDecision(ILogger logger, int step, string model, string outcome, string reason, double score);

    [LoggerMessage(EventId = 9502, Level = LogLevel.Information, Message = "Cascade accepted none of {Tried} answers; the answer of {Model} is final")]
    private static partial void LogNoneAccepted(ILogger logger, int tried, string model);
}
