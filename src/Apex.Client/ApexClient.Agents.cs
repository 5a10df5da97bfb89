using Apex.Contracts;
using Apex.Contracts.Agents;
using Apex.Contracts.Common;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>Lists agents (<c>GET /api/v1/agents</c>).</summary>
    /// <param name="includeStats">Adds task counts and usage to each agent.</param>
    /// <param name="limit">Page size; the server's default when null.</param>
    /// <param name="cursor">The <see cref="Page{T}.NextCursor"/> of the previous page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<Page<AgentResponse>> ListAgentsAsync(bool includeStats = false, int? limit = null, string? cursor = null, CancellationToken cancellationToken = default) =>
        GetAsync(
            Query("api/v1/agents", ("include_stats", includeStats ? "true" : null), ("limit", Invariant(limit)), ("cursor", cursor)),
            ApexJsonContext.Default.PageAgentResponse, cancellationToken);

    /// <summary>Gets one agent (<c>GET /api/v1/agents/{id}</c>).</summary>
    /// <param name="agentId">Agent id.</param>
    /// <param name="includeStats">Adds task counts and usage.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 404 when there is no such agent.</exception>
    public Task<AgentResponse> GetAgentAsync(Guid agentId, bool includeStats = false, CancellationToken cancellationToken = default) =>
        GetAsync(Query($"api/v1/agents/{Id(agentId)}", ("include_stats", includeStats ? "true" : null)),
            ApexJsonContext.Default.AgentResponse, cancellationToken);

    /// <summary>Creates an agent (<c>POST /api/v1/agents</c>).</summary>
    /// <param name="request">The agent.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 409 when the name is taken.</exception>
    public Task<AgentResponse> CreateAgentAsync(AgentRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, "api/v1/agents", request, ApexJsonContext.Default.AgentRequest,
            ApexJsonContext.Default.AgentResponse, idempotencyKey: null, cancellationToken);

    /// <summary>Replaces an agent's definition (<c>PUT /api/v1/agents/{id}</c>).</summary>
    /// <param name="agentId">Agent id.</param>
    /// <param name="request">The new definition.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<AgentResponse> UpdateAgentAsync(Guid agentId, AgentRequest request, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Put, $"api/v1/agents/{Id(agentId)}", request, ApexJsonContext.Default.AgentRequest,
            ApexJsonContext.Default.AgentResponse, idempotencyKey: null, cancellationToken);

    /// <summary>Deletes an agent (<c>DELETE /api/v1/agents/{id}</c>).</summary>
    /// <param name="agentId">Agent id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 404 when there is no such agent.</exception>
    public Task DeleteAgentAsync(Guid agentId, CancellationToken cancellationToken = default) =>
        DeleteAsync($"api/v1/agents/{Id(agentId)}", cancellationToken);
}
