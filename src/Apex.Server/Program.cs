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

// The configuration files' change watcher watches the content root and everything under it, where the default SQLite
// database lies: every commit woke it (5–7 % of the server's CPU at 1,000 tasks/s). Polling looks at the configuration
// files alone, every 4 s, and keeps their changes live. Set the variable to false to watch with inotify again.
if (Environment.GetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_USE_POLLING_FILE_WATCHER", "true");
}

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
