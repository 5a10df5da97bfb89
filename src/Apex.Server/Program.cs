using Apex.Server.Agents;
using Apex.Server.Approvals;
using Apex.Server.Audit;
using Apex.Server.Dags;
using Apex.Server.Health;
using Apex.Server.Keys;
using Apex.Server.Stats;
using Apex.Server.Tasks;
using Apex.Server.Tenants;
using Apex.Server.Usage;

var builder = WebApplication.CreateBuilder(args);
builder.AddApexServer();
builder.Services.AddApexSecretRedaction();
builder.Services.AddApexStats();

var app = builder.Build();
app.UseApexServer();
app.MapHealthApi();
app.MapTasksApi();
app.MapDagsApi();
app.MapAgentsApi();
app.MapUsageApi();
app.MapApprovalsApi();
app.MapStatsApi();
app.MapKeysApi();
app.MapAuditApi();
app.MapTenantsApi();
app.MapApexDocs();
app.MapApexDashboard();
app.Run();

/// <summary>The API host's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
