using System.Security.Claims;
using System.Globalization;
using Apex.Contracts.Usage;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Apex.Server.Security;

namespace Apex.Server.Usage;

/// <summary>The <c>/api/v1/usage</c> endpoint: tokens, cost and calls by model, agent or DAG.</summary>
internal static class UsageApi
{
    public static RouteGroupBuilder MapUsageApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/usage").WithTags("Usage");
        group.MapGet("/", GetAsync).WithName("GetUsage")
            .WithSummary("What LLM calls spent in [from, to), summed by model, agent or DAG. Without from, since the start; without to, until now.").RequireAuthorization(ApexPolicies.Read);
        return group;
    }

    private static async Task<Ok<UsageReport>> GetAsync(ClaimsPrincipal user, IApexStore store, TimeProvider time, CancellationToken cancellationToken,
        [FromQuery(Name = "group_by")] string? groupBy = null, [FromQuery] string? from = null, [FromQuery] string? to = null)
    {
        var grouping = Query.ParseEnum<UsageGrouping>(groupBy, "group_by") ?? UsageGrouping.Model;
        var (start, end) = Query.Window(Time(from, "from"), Time(to, "to"), time);
        var groups = await store.GetUsageAsync(user.TenantId(), grouping, start, end, cancellationToken);
        var items = groups.Select(g => new UsageLine
        {
            Key = g.Key,
            InputTokens = g.InputTokens,
            OutputTokens = g.OutputTokens,
            CostUsd = g.CostUsd,
            ApiCalls = g.ApiCalls,
            Tasks = g.Tasks,
            Cascade = Cascade(g.Cascade),
        }).ToList();
        var cascades = groups.Select(g => g.Cascade).OfType<CascadeTotals>().ToList();
        return TypedResults.Ok(new UsageReport
        {
            GroupBy = grouping.ToString().ToLowerInvariant(),
            From = start,
            To = end,
            Items = items,
            Total = new UsageLine
            {
                InputTokens = items.Sum(i => i.InputTokens),
                OutputTokens = items.Sum(i => i.OutputTokens),
                CostUsd = items.Sum(i => i.CostUsd),
                ApiCalls = items.Sum(i => i.ApiCalls),
                // A task's lines may fall in several groups (a cascade calls several models), so this may count it more than once.
                Tasks = items.Sum(i => i.Tasks),
                Cascade = cascades.Count == 0 ? null : Cascade(new CascadeTotals(cascades.Sum(c => c.Accepted), cascades.Sum(c => c.Rejected),
                    cascades.Sum(c => c.ProviderErrors), cascades.Sum(c => c.CostUsd), cascades.Sum(c => c.TopModelCostUsd))),
            },
        });
    }

    private static CascadeUsage? Cascade(CascadeTotals? totals) => totals is null ? null : new CascadeUsage
    {
        Accepted = totals.Accepted,
        Rejected = totals.Rejected,
        ProviderErrors = totals.ProviderErrors,
        CostUsd = totals.CostUsd,
        TopModelCostUsd = totals.TopModelCostUsd,
        SavedUsd = totals.TopModelCostUsd - totals.CostUsd,
    };

    private static DateTimeOffset? Time(string? value, string field) =>
        string.IsNullOrEmpty(value) ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed
        : throw new ApexValidationException($"invalid_{field}", $"'{value}' is not an ISO 8601 time.",
            new Dictionary<string, string[]> { [field] = ["An ISO 8601 date or time, e.g. 2026-11-27T00:00:00Z."] });
}
