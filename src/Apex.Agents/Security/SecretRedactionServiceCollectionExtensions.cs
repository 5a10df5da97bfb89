using Apex.Agents.Providers;
using Apex.Agents.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the redaction of secrets from logs.</summary>
public static class SecretRedactionServiceCollectionExtensions
{
    /// <summary>
    /// Makes every log line, structured value and logged exception pass through the <see cref="SecretRedactor"/>, and
    /// registers with it the provider keys: <c>Apex:Providers:Items:*:ApiKey</c>, <c>OPENAI_API_KEY</c> and
    /// <c>ANTHROPIC_API_KEY</c> as soon as the redactor exists, and any key set in code when the providers' options
    /// are built. Call it after logging is added (a host builder adds it first).
    /// </summary>
    /// <exception cref="InvalidOperationException">No <see cref="ILoggerFactory"/> is registered.</exception>
    public static IServiceCollection AddApexSecretRedaction(this IServiceCollection services)
    {
        if (services.Any(d => d.ImplementationType == typeof(ProviderSecretsSetup)))
        {
            return services;
        }
        var factory = services.LastOrDefault(d => d.ServiceType == typeof(ILoggerFactory))
            ?? throw new InvalidOperationException("Add logging before AddApexSecretRedaction.");
        services.Replace(ServiceDescriptor.Singleton(sp => NewRedactor(sp.GetService<IConfiguration>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<ProvidersOptions>, ProviderSecretsSetup>());
        services.Remove(factory);
        services.AddSingleton<ILoggerFactory>(sp => new RedactingLoggerFactory(Resolve(sp, factory), sp.GetRequiredService<SecretRedactor>()));
        return services;
    }

    private static SecretRedactor NewRedactor(IConfiguration? configuration)
    {
        var redactor = new SecretRedactor();
        if (configuration is not null)
        {
            foreach (var item in configuration.GetSection(ProvidersOptions.Section + ":Items").GetChildren())
            {
                redactor.Register(item["ApiKey"]?.Trim());
            }
            redactor.Register(configuration["OPENAI_API_KEY"]?.Trim());
            redactor.Register(configuration["ANTHROPIC_API_KEY"]?.Trim());
        }
        return redactor;
    }

    private static ILoggerFactory Resolve(IServiceProvider services, ServiceDescriptor descriptor) =>
        (ILoggerFactory)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
