using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Apex.Contracts;
using Apex.Server.Hosting;
using Apex.Server.Live;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Npgsql;
using Scalar.AspNetCore;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The composition of the API host.</summary>
internal static class ServerHostingExtensions
{
    /// <summary>Store, engine, JSON, problem details, OpenAPI and request limits.</summary>
    public static WebApplicationBuilder AddApexServer(this WebApplicationBuilder builder)
    {
        var api = builder.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        builder.Services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.Section))
            .Validate(o => o.MaxRequestBodyBytes > 0 && o.MaxPageSize >= 1 && o.DefaultPageSize >= 1 && o.DefaultPageSize <= o.MaxPageSize && o.MaxJsonDepth >= 8,
                "Apex:Api limits must be positive, DefaultPageSize ≤ MaxPageSize and MaxJsonDepth ≥ 8.")
            .ValidateOnStart();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = api.MaxRequestBodyBytes;
            k.AddServerHeader = false;
        });
        builder.AddApexHardening(api);
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions, api.MaxJsonDepth));
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemCodes.Complete);
        builder.Services.AddExceptionHandler<ApexExceptionHandler>();
        builder.Services.AddOpenApi();
        builder.AddApexServiceDefaults("apex-server", tracing => tracing.AddNpgsql());

        // ConnectionStrings:Postgres moves the store to PostgreSQL (shared by every API server); ConnectionStrings:Redis
        // switches to distributed mode: dispatch to worker processes through Redis Streams.
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Postgres")))
        {
            builder.Services.AddApexSqlite(builder.Configuration);
        }
        else
        {
            builder.Services.AddApexPostgres(builder.Configuration);
        }
        builder.Services.AddApexEngine(builder.Configuration);
        var distributed = !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("Redis"));
        if (distributed)
        {
            builder.Services.AddApexDistributed(builder.Configuration);
        }
        builder.Services.AddApexCaching(builder.Configuration, distributed);
        builder.Services.AddApexLive(builder.Configuration);
        builder.AddApexMetrics();
        builder.AddApexAuth();
        builder.AddApexAudit();
        builder.Services.AddApexQuotas(distributed);
        return builder;
    }

    /// <summary>
    /// Security headers, CORS, error handling, authentication, the audit of admin actions, request quotas and the JSON
    /// charset check for everything mapped after it.
    /// </summary>
    public static WebApplication UseApexServer(this WebApplication app)
    {
        app.UseApexMetrics();
        app.UseApexHardening();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Routing inside the exception handler (WebApplication would put it first, outside): a failure while matching
        // gets the same problem+json as any other.
        app.UseRouting();
        app.UseApexAuth();
        app.UseApexAudit();
        app.UseApexQuotas();
        app.Use(JsonCharset.InvokeAsync);
        app.MapLiveApi();
        return app;
    }

    /// <summary>The OpenAPI document at <c>/openapi/v1.json</c> and a reference page at <c>/docs</c>.</summary>
    public static WebApplication MapApexDocs(this WebApplication app)
    {
        // The API's public description, readable without a credential (docs/security.md).
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/docs", o => o.WithTitle("Apex API").WithOpenApiRoutePattern("/openapi/{documentName}.json")).AllowAnonymous();
        return app;
    }

    private static void Configure(JsonSerializerOptions options, int maxDepth)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.MaxDepth = maxDepth;
        options.TypeInfoResolverChain.Insert(0, ApexJsonContext.Default);
        if (!options.TypeInfoResolverChain.OfType<DefaultJsonTypeInfoResolver>().Any())
        {
            options.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        }
    }
}
