using Apex.Testing;
using Apex.Agents.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Apex.Agents.Tests.Providers;

/// <summary>The agent runtime's real DI wiring over in-memory settings (environment variables are settings too).</summary>
internal sealed class ProviderHost : IDisposable, IAsyncDisposable
{
    public static readonly string ApiKey = FakeSecrets.OpenAi("apex-test-7f3c9e2a41b8");

    private readonly ServiceProvider _services;

    public ProviderHost(IDictionary<string, string?> settings, TimeProvider? timeProvider = null, Action<IServiceCollection>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging();
        if (timeProvider is not null)
        {
            services.AddSingleton(timeProvider);
        }
        services.AddApexAgents();
        configure?.Invoke(services);
        _services = services.BuildServiceProvider();
    }

    public IChatClientProvider Clients => _services.GetRequiredService<IChatClientProvider>();

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public void Dispose() => _services.Dispose();

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
