using Apex.Core.Agents;
using Apex.Core.Errors;
using Apex.Core.Storage;

namespace Apex.Postgres;

public sealed partial class PostgresApexStore
{
    /// <inheritdoc />
    public Task<IReadOnlyList<AgentDefinition>> ListAgentsAsync(CancellationToken cancellationToken = default) =>
        ReadAsync<IReadOnlyList<AgentDefinition>>(async c =>
        {
            // Binary collation, as SQLite orders, whatever the database's locale.
            await using var command = Command(c, $"""SELECT {Rows.AgentColumns} FROM agents ORDER BY tenant_id COLLATE "C", name COLLATE "C" """);
            return await ReadAllAsync(command, Rows.ReadAgent, cancellationToken);
        }, cancellationToken);

    /// <inheritdoc />
    public async Task UpsertAgentAsync(AgentDefinition agent, CancellationToken cancellationToken = default)
    {
        try
        {
            await WriteAsync(WriteKey.None, async ctx =>
            {
                // Checked first so that the usual conflict fails this write alone rather than the whole group.
                if (await ctx.ScalarAsync("SELECT 1 FROM agents WHERE tenant_id = @tenant AND name = @name AND id <> @id",
                    ("tenant", agent.TenantId), ("name", agent.Name), ("id", agent.Id)) is not null)
                {
                    throw NameTaken(agent);
                }
                return await ctx.ExecuteAsync($"""
                    INSERT INTO agents ({Rows.AgentColumns})
                    VALUES (@id, @tenant, @name, @provider, @model, @prompt, @max, @created, @updated, @settings::json)
                    ON CONFLICT (id) DO UPDATE SET name = excluded.name, provider = excluded.provider, model = excluded.model,
                        system_prompt = excluded.system_prompt, max_concurrency = excluded.max_concurrency, updated_at = excluded.updated_at,
                        settings = excluded.settings
                    """,
                    ("id", agent.Id), ("tenant", agent.TenantId), ("name", agent.Name), ("provider", agent.Provider),
                    ("model", agent.Model), ("prompt", agent.SystemPrompt), ("max", agent.MaxConcurrency),
                    ("created", Rows.Truncate(agent.CreatedAt)), ("updated", Rows.Truncate(agent.UpdatedAt)),
                    ("settings", StoreValues.SettingsJson(agent.Settings)));
            }, cancellationToken);
        }
        catch (Exception e) when (PostgresErrors.IsUniqueViolation(e, "idx_agents_tenant_name"))
        {
            // Another server took the name between the check and the insert.
            throw NameTaken(agent);
        }
    }

    /// <inheritdoc />
    public Task<bool> DeleteAgentAsync(string tenantId, Guid agentId, CancellationToken cancellationToken = default) =>
        WriteAsync(WriteKey.None, async ctx => await ctx.ExecuteAsync("DELETE FROM agents WHERE id = @id AND tenant_id = @tenant",
            ("id", agentId), ("tenant", tenantId)) > 0, cancellationToken);

    private static ApexConflictException NameTaken(AgentDefinition agent) =>
        new("agent_name_taken", $"An agent named '{agent.Name}' already exists.");
}
