using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using Apex.Agents.Routing;
using Apex.Agents.Runtime;
using Apex.Contracts.Agents;
using Apex.Contracts.Common;
using Apex.Core;
using Apex.Core.Agents;
using Apex.Core.Dags;
using Apex.Core.Errors;
using Apex.Core.Storage;
using Apex.Engine.Agents;
using Apex.Engine.Execution;
using Apex.Server.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Apex.Server.Security;

namespace Apex.Server.Agents;

/// <summary>The <c>/api/v1/agents</c> endpoints.</summary>
internal static partial class AgentsApi
{
    private const int MaxSystemPromptLength = 100_000;
    private const int MaxCascadeModels = 8;
    private const int MaxTools = 64;

    public static RouteGroupBuilder MapAgentsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/agents").WithTags("Agents");
        group.MapGet("/", ListAsync).WithName("ListAgents").RequireAuthorization(ApexPolicies.Read);
        group.MapPost("/", CreateAsync).WithName("CreateAgent").RequireAuthorization(ApexPolicies.Operate);
        group.MapGet("/{id:guid}", GetAsync).WithName("GetAgent").RequireAuthorization(ApexPolicies.Read);
        group.MapPut("/{id:guid}", UpdateAsync).WithName("UpdateAgent").RequireAuthorization(ApexPolicies.Operate);
        group.MapDelete("/{id:guid}", DeleteAsync).WithName("DeleteAgent").RequireAuthorization(ApexPolicies.Operate);
        return group;
    }

    private static async Task<Ok<Page<AgentResponse>>> ListAsync(ClaimsPrincipal user, AgentCatalog catalog, IApexStore store, CancellationToken cancellationToken,
        [FromQuery(Name = "include_stats")] bool includeStats = false)
    {
        var items = new List<AgentResponse>();
        foreach (var agent in catalog.All.Where(a => a.TenantId == user.TenantId()).OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            items.Add(await ToResponseAsync(agent, includeStats, store, cancellationToken));
        }
        return TypedResults.Ok(new Page<AgentResponse>(items, null));
    }

    private static async Task<Ok<AgentResponse>> GetAsync(Guid id, ClaimsPrincipal user, AgentCatalog catalog, IApexStore store, CancellationToken cancellationToken,
        [FromQuery(Name = "include_stats")] bool includeStats = false) =>
        TypedResults.Ok(await ToResponseAsync(Find(catalog, user, id), includeStats, store, cancellationToken));

    private static async Task<Created<AgentResponse>> CreateAsync(AgentRequest request, ClaimsPrincipal user, AgentCatalog catalog, IApexStore store,
        IChatClientProvider providers, TimeProvider time, CancellationToken cancellationToken)
    {
        Validate(request, providers);
        var now = time.GetUtcNow();
        var agent = new AgentDefinition
        {
            TenantId = user.TenantId(),
            Id = Guid.CreateVersion7(now),
            Name = request.Name!,
            Provider = request.Provider ?? providers.DefaultProvider,
            Model = request.Model ?? providers.DefaultModel(request.Provider ?? providers.DefaultProvider),
            SystemPrompt = request.SystemPrompt,
            MaxConcurrency = request.MaxConcurrency ?? 16,
            Settings = Settings(request, AgentSettings.None),
            CreatedAt = now,
            UpdatedAt = now,
        };
        await store.UpsertAgentAsync(agent, cancellationToken);
        await catalog.RefreshAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/agents/{agent.Id}", await ToResponseAsync(agent, false, store, cancellationToken));
    }

    private static async Task<Ok<AgentResponse>> UpdateAsync(Guid id, AgentRequest request, ClaimsPrincipal user, AgentCatalog catalog, IApexStore store,
        IChatClientProvider providers, TimeProvider time, CancellationToken cancellationToken)
    {
        var existing = Find(catalog, user, id);
        Validate(request with { Name = request.Name ?? existing.Name }, providers);
        if (existing.Name == AgentDefinition.DefaultName && request.Name is { } renamed && renamed != existing.Name)
        {
            throw new ApexConflictException("agent_protected", "The default agent cannot be renamed.");
        }
        var agent = existing with
        {
            Name = request.Name ?? existing.Name,
            Provider = request.Provider ?? existing.Provider,
            Model = request.Model ?? existing.Model,
            SystemPrompt = request.SystemPrompt ?? existing.SystemPrompt,
            MaxConcurrency = request.MaxConcurrency ?? existing.MaxConcurrency,
            Settings = Settings(request, existing.Settings),
            UpdatedAt = time.GetUtcNow(),
        };
        await store.UpsertAgentAsync(agent, cancellationToken);
        await catalog.RefreshAsync(cancellationToken);
        return TypedResults.Ok(await ToResponseAsync(agent, false, store, cancellationToken));
    }

    private static async Task<NoContent> DeleteAsync(Guid id, ClaimsPrincipal user, AgentCatalog catalog, IApexStore store, CancellationToken cancellationToken)
    {
        var agent = Find(catalog, user, id);
        if (agent.Name == AgentDefinition.DefaultName)
        {
            throw new ApexConflictException("agent_protected", "The default agent cannot be deleted.");
        }
        await store.DeleteAgentAsync(user.TenantId(), id, cancellationToken);
        await catalog.RefreshAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    private static AgentDefinition Find(AgentCatalog catalog, ClaimsPrincipal user, Guid id) =>
        catalog.All.FirstOrDefault(a => a.Id == id && a.TenantId == user.TenantId()) ?? throw new ApexNotFoundException("agent", id.ToString());

    private static void Validate(AgentRequest request, IChatClientProvider providers)
    {
        var errors = new Dictionary<string, string[]>();
        if (!DagKeys.IsValid(request.Name))
        {
            errors["name"] = ["Required: 1–128 characters of [A-Za-z0-9_.-]."];
        }
        if (request.Provider is { } provider && !providers.Providers.Contains(provider))
        {
            errors["provider"] = [$"Unknown provider '{provider}'. Configured: {string.Join(", ", providers.Providers)}."];
        }
        if (request.Model is { Length: 0 or > 256 })
        {
            errors["model"] = ["1–256 characters."];
        }
        if (request.SystemPrompt is { Length: > MaxSystemPromptLength })
        {
            errors["system_prompt"] = [$"At most {MaxSystemPromptLength} characters."];
        }
        if (request.MaxConcurrency is < 1 or > 100_000)
        {
            errors["max_concurrency"] = ["Between 1 and 100000."];
        }
        if (request.Cascade is { } cascade && (cascade.Count > MaxCascadeModels || cascade.Any(m => m is not { Length: > 0 and <= 256 })))
        {
            errors["cascade"] = [$"At most {MaxCascadeModels} model ids of 1–256 characters, cheapest first."];
        }
        if (request.OutputSchema is { } schema && !OutputSchemas.Compiles(schema))
        {
            errors["output_schema"] = ["A JSON Schema object ({} clears it)."];
        }
        if (request.Tools is { } tools)
        {
            if (tools.MaxSteps is < 1 or > AgentToolSettings.MaxMaxSteps)
            {
                errors["tools.max_steps"] = [$"Between 1 and {AgentToolSettings.MaxMaxSteps}."];
            }
            if (tools.Allowed is { } allowed && (allowed.Count > MaxTools || allowed.Any(t => !ToolName().IsMatch(t ?? ""))))
            {
                errors["tools.allowed"] = [$"At most {MaxTools} names of 1–64 characters of [A-Za-z0-9_-]."];
            }
            for (var i = 0; i < (tools.McpServers?.Count ?? 0); i++)
            {
                if (!ToMcp(tools.McpServers![i]).IsValid)
                {
                    errors[$"tools.mcp_servers[{i}]"] = ["A name of 1–32 characters of [A-Za-z0-9-] and exactly one of command and url."];
                }
            }
        }
        if (errors.Count > 0)
        {
            throw new ApexValidationException("validation_failed", "The agent is invalid.", errors);
        }
    }

    private static AgentSettings Settings(AgentRequest request, AgentSettings existing) => new()
    {
        Cascade = request.Cascade is { } cascade ? [.. cascade] : existing.Cascade,
        OutputSchema = request.OutputSchema is not { } schema ? existing.OutputSchema
            : schema.ValueKind == JsonValueKind.Object && !schema.EnumerateObject().Any() ? null
            : schema.GetRawText(),
        Tools = request.Tools is not { } tools ? existing.Tools : new AgentToolSettings
        {
            AllowedTools = tools.Allowed is { } allowed ? [.. allowed] : existing.Tools.AllowedTools,
            McpServers = tools.McpServers is { } servers ? [.. servers.Select(ToMcp)] : existing.Tools.McpServers,
            MaxSteps = tools.MaxSteps ?? existing.Tools.MaxSteps,
        },
    };

    private static McpServerDefinition ToMcp(McpServer server) => new()
    {
        Name = server.Name ?? "",
        Command = server.Command,
        Arguments = server.Arguments ?? [],
        Url = server.Url,
    };

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex ToolName();

    private static async Task<AgentResponse> ToResponseAsync(AgentDefinition agent, bool includeStats, IApexStore store, CancellationToken cancellationToken)
    {
        AgentStats? stats = null;
        if (includeStats)
        {
            var usage = await store.GetAgentUsageAsync(agent.TenantId, agent.Name, cancellationToken);
            stats = new AgentStats
            {
                Tasks = usage.TasksByStatus,
                Running = (int)usage.TasksByStatus.GetValueOrDefault("running"),
                InputTokens = usage.InputTokens,
                OutputTokens = usage.OutputTokens,
                CostUsd = usage.CostUsd,
            };
        }
        return new AgentResponse
        {
            Id = agent.Id,
            Name = agent.Name,
            Provider = agent.Provider,
            Model = agent.Model,
            SystemPrompt = agent.SystemPrompt,
            MaxConcurrency = agent.MaxConcurrency,
            Cascade = agent.Settings.Cascade,
            OutputSchema = agent.Settings.OutputSchema is { } outputSchema ? JsonDocument.Parse(outputSchema).RootElement.Clone() : null,
            Tools = new AgentTools
            {
                Allowed = agent.Settings.Tools.AllowedTools,
                McpServers = [.. agent.Settings.Tools.McpServers.Select(m => new McpServer { Name = m.Name, Command = m.Command, Arguments = m.Arguments, Url = m.Url })],
                MaxSteps = agent.Settings.Tools.MaxSteps,
            },
            CreatedAt = agent.CreatedAt,
            UpdatedAt = agent.UpdatedAt,
            Stats = stats,
        };
    }
}
