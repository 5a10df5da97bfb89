using System.Security.Claims;
using Apex.Agents.Pricing;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Engine.Agents;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Apex.Server.Security;

namespace Apex.Server.Stats;

/// <summary>The <c>/api/v1/stats</c> endpoints: live rates and routing savings for the dashboard.</summary>
internal static class StatsApi
{
    public static RouteGroupBuilder MapStatsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/stats").WithTags("Stats");
        group.MapGet("/", (ClaimsPrincipal user, StatsCollector stats) => TypedResults.Ok(stats.Snapshot(user.TenantId()))).WithName("GetStats")
            .WithSummary("The caller's tenant: tasks finished per second, error rate, latency and cost per hour over the last 60 s, heard by this server.").RequireAuthorization(ApexPolicies.Read);
        group.MapGet("/routing", RoutingAsync).WithName("GetRoutingSavings")
            .WithSummary("What cascading agents' tokens would have cost on their cascade's last model, against what they cost, in [from, to).").RequireAuthorization(ApexPolicies.Read);
        return group;
    }

    private static async Task<Ok<RoutingSavingsResponse>> RoutingAsync(ClaimsPrincipal user, IApexStore store, AgentCatalog catalog, IOptionsMonitor<PricingOptions> pricing,
        TimeProvider time, CancellationToken cancellationToken, [FromQuery] DateTimeOffset? from = null, [FromQuery] DateTimeOffset? to = null)
    {
        var (start, end) = Hosting.Query.Window(from, to, time);
        // The cascade decisions stored with each attempt's usage: what the steps cost, and what each cascade's last
        // model would have charged for the answers kept (the usage API's `cascade` figures, by agent).
        var usage = await store.GetUsageAsync(user.TenantId(), UsageGrouping.Agent, start, end, cancellationToken);
        var lines = new List<RoutingSavingsLine>();
        foreach (var group in usage.Where(g => g is { Key: not null, Cascade: not null }).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var cascade = catalog.TryGet(user.TenantId(), group.Key!, out var agent) ? agent.Settings.Cascade : [];
            var totals = group.Cascade!;
            lines.Add(new RoutingSavingsLine(group.Key!, cascade, cascade.Count == 0 ? "" : cascade[^1], group.InputTokens, group.OutputTokens,
                totals.CostUsd, totals.TopModelCostUsd, totals.TopModelCostUsd - totals.CostUsd));
        }
        return TypedResults.Ok(new RoutingSavingsResponse
        {
            From = start,
            To = end,
            ActualCostUsd = lines.Sum(l => l.ActualCostUsd),
            ReferenceCostUsd = lines.Sum(l => l.ReferenceCostUsd),
            SavingsUsd = lines.Sum(l => l.SavingsUsd),
            Agents = lines,
        });
    }
}
