using Apex.Core.Agents;
using Apex.Core.Errors;
using Xunit;

namespace Apex.Store.Tests;

public abstract partial class StoreConformanceTests
{
    [Fact]
    public async Task Agents_UpsertListAndDelete()
    {
        var created = Start.AddTicks(1_234);
        var writer = new AgentDefinition
        {
            TenantId = Tenant,
            Id = Guid.NewGuid(),
            Name = "writer",
            Provider = "simulated",
            Model = "sim-1",
            SystemPrompt = "Write.",
            MaxConcurrency = 4,
            CreatedAt = created,
            UpdatedAt = created,
        };
        await Store.UpsertAgentAsync(writer, Ct);
        await Store.UpsertAgentAsync(writer with { Id = Guid.NewGuid(), Name = "Alpha" }, Ct);
        await Store.UpsertAgentAsync(writer with { Id = Guid.NewGuid(), TenantId = "acme" }, Ct);

        await Store.UpsertAgentAsync(writer with { Model = "sim-2", SystemPrompt = null, UpdatedAt = created.AddMinutes(1) }, Ct);
        var agents = await Store.ListAgentsAsync(Ct);

        Assert.Equal([("acme", "writer"), (Tenant, "Alpha"), (Tenant, "writer")], agents.Select(a => (a.TenantId, a.Name)));
        var stored = agents.Single(a => a.Id == writer.Id);
        Assert.Equal(writer with { Model = "sim-2", SystemPrompt = null, CreatedAt = Start, UpdatedAt = Start.AddMinutes(1) }, stored);

        Assert.True(await Store.DeleteAgentAsync(Tenant, writer.Id, Ct));
        Assert.False(await Store.DeleteAgentAsync(Tenant, writer.Id, Ct));
        Assert.False(await Store.DeleteAgentAsync(Tenant, agents[0].Id, Ct));
        Assert.Equal(2, (await Store.ListAgentsAsync(Ct)).Count);
    }

    [Fact]
    public async Task Agents_NameOfAnotherAgent_Conflicts()
    {
        var agent = new AgentDefinition
        {
            TenantId = Tenant,
            Id = Guid.NewGuid(),
            Name = "writer",
            Provider = "simulated",
            Model = "sim-1",
            CreatedAt = Start,
            UpdatedAt = Start,
        };
        await Store.UpsertAgentAsync(agent, Ct);
        var other = agent with { Id = Guid.NewGuid(), Name = "editor" };
        await Store.UpsertAgentAsync(other, Ct);

        var taken = await Assert.ThrowsAsync<ApexConflictException>(() => Store.UpsertAgentAsync(agent with { Id = Guid.NewGuid() }, Ct));
        var renamed = await Assert.ThrowsAsync<ApexConflictException>(() => Store.UpsertAgentAsync(other with { Name = "writer" }, Ct));

        Assert.Equal("agent_name_taken", taken.Code);
        Assert.Equal("agent_name_taken", renamed.Code);
        Assert.Equal(["editor", "writer"], (await Store.ListAgentsAsync(Ct)).Select(a => a.Name));
    }
}
