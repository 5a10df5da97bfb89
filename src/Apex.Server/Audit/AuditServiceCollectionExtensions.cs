using Apex.Server.Audit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The audit log of the API host: <see cref="AuditTrail"/> and its writer; docs/audit.md.</summary>
internal static class AuditServiceCollectionExtensions
{
    public static WebApplicationBuilder AddApexAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section)
            .Validate(o => o.QueueCapacity >= 1 && o.MaxBatch >= 1 && o.VerifyPageSize >= 1 && o.MaxFieldLength >= 64 && o.RetryDelay > TimeSpan.Zero,
                "Apex:Audit: QueueCapacity, MaxBatch and VerifyPageSize must be at least 1, MaxFieldLength at least 64, RetryDelay positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddHostedService<AuditWriter>();
        return builder;
    }

    /// <summary>Records mutating requests under <c>/api/v1/admin</c> (after authorization: refusals are recorded there).</summary>
    public static WebApplication UseApexAudit(this WebApplication app)
    {
        app.UseMiddleware<AdminAuditMiddleware>();
        return app;
    }
}
