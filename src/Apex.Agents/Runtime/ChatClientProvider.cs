using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Apex.Agents.Providers;
using Apex.Agents.Simulated;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Apex.Agents.Runtime;

/// <summary>
/// Builds one <see cref="IChatClient"/> pipeline per (provider, model) and keeps it. A real provider's pipeline is,
/// outermost first: logging and telemetry when observed (<see cref="ObservedChatClient"/>) → rate limit, retry and circuit breaker (shared by all models of the
/// provider) → timeout and error mapping → the provider's SDK client. The state of each configured provider's circuit
/// is the gauge <c>apex_circuit_breaker_state</c> (meter <c>Apex.Agents</c>, tag <c>provider</c>; 0 closed, 1 open,
/// 2 half-open, 3 isolated: Polly's <see cref="CircuitState"/>); a provider not called yet is closed.
/// </summary>
internal sealed class ChatClientProvider : IChatClientProvider
{
    private readonly ProvidersOptions _providers;
    private readonly SimulatedOptions _simulated;
    private readonly ProviderClientFactory _factory;
    private readonly IProviderRateLimiter _rateLimiter;
    private readonly TimeProvider _timeProvider;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    /// <summary>Asks whether a tracer listens to the LLM calls' source (it creates no activity).</summary>
    private static readonly ActivitySource Probe = new(AgentTelemetry.SourceName);

    private readonly ConcurrentDictionary<(string Provider, string Model), IChatClient> _clients = new();
    private readonly ConcurrentDictionary<string, (ResiliencePipeline Pipeline, CircuitBreakerStateProvider Circuit)> _pipelines =
        new(StringComparer.OrdinalIgnoreCase);

    public ChatClientProvider(IOptions<ProvidersOptions> providers, IOptions<SimulatedOptions> simulated, ProviderClientFactory factory,
        IProviderRateLimiter rateLimiter, TimeProvider timeProvider, ILoggerFactory loggerFactory, IMeterFactory meterFactory)
    {
        _providers = providers.Value;
        _simulated = simulated.Value;
        _factory = factory;
        _rateLimiter = rateLimiter;
        _timeProvider = timeProvider;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<ChatClientProvider>();
        Providers = [.. _providers.Items.Keys.Append(SimulatedChatClient.ProviderName).Distinct(StringComparer.OrdinalIgnoreCase)];
        DefaultProvider = ChooseDefault(_providers);
        meterFactory.Create(AgentTelemetry.SourceName).CreateObservableGauge("apex.circuit_breaker.state", CircuitStates,
            description: "Circuit breaker of each configured LLM provider: 0 closed, 1 open, 2 half-open, 3 isolated.");
    }

    public IReadOnlyCollection<string> Providers { get; }

    public string DefaultProvider { get; }

    public string DefaultModel(string provider)
    {
        var (kind, options) = Find(provider);
        return string.IsNullOrWhiteSpace(options?.DefaultModel) ? ProviderDefaults.Model(kind) : options.DefaultModel;
    }

    public IChatClient GetClient(string provider, string model) =>
        _clients.GetOrAdd((provider, model), key => Build(key.Provider, key.Model));

    private IChatClient Build(string provider, string model)
    {
        var (kind, options) = Find(provider);
        IChatClient client;
        if (kind == ProviderKind.Simulated || options is null)
        {
            client = new SimulatedChatClient(_simulated, model, _timeProvider);
        }
        else
        {
            var (pipeline, _) = _pipelines.GetOrAdd(provider, name =>
            {
                var circuit = new CircuitBreakerStateProvider();
                return (ProviderResilience.Build(name, options, circuit, _timeProvider, _logger), circuit);
            });
            var sdk = _factory.Create(provider, kind, options, model);
            client = new ResilientChatClient(
                new ProviderErrorChatClient(sdk, provider, TimeSpan.FromSeconds(options.TimeoutSeconds), options.ApiKey),
                provider, pipeline, _rateLimiter);
        }
        return new ObservedChatClient(client, _loggerFactory, Probe);
    }

    private IEnumerable<Measurement<int>> CircuitStates()
    {
        foreach (var (name, options) in _providers.Items)
        {
            if (ProviderDefaults.KindOf(name, options) is null or ProviderKind.Simulated)
            {
                continue;
            }
            var state = _pipelines.TryGetValue(name, out var built) ? built.Circuit.CircuitState : CircuitState.Closed;
            yield return new Measurement<int>((int)state, new KeyValuePair<string, object?>("provider", name));
        }
    }

    private (ProviderKind Kind, ProviderOptions? Options) Find(string provider)
    {
        if (_providers.Items.TryGetValue(provider, out var options) && ProviderDefaults.KindOf(provider, options) is { } kind)
        {
            return (kind, options);
        }
        if (string.Equals(provider, SimulatedChatClient.ProviderName, StringComparison.OrdinalIgnoreCase))
        {
            return (ProviderKind.Simulated, null);
        }
        throw new AgentExecutionException("unknown_provider", $"No LLM provider named '{provider}' is configured.", retryable: false);
    }

    private static string ChooseDefault(ProvidersOptions providers)
    {
        if (!string.IsNullOrWhiteSpace(providers.Default))
        {
            return providers.Default;
        }
        foreach (var kind in ProviderDefaults.DefaultOrder)
        {
            var named = providers.Items
                .Where(item => ProviderDefaults.KindOf(item.Key, item.Value) == kind)
                .Select(item => item.Key)
                .OrderBy(name => !string.Equals(name, kind.ToString(), StringComparison.OrdinalIgnoreCase))
                .ThenBy(name => name, StringComparer.Ordinal)
                .FirstOrDefault();
            if (named is not null)
            {
                return named;
            }
        }
        return SimulatedChatClient.ProviderName;
    }
}
