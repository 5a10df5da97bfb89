using Apex.Core.Events;
using Apex.Redis.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Apex.Redis.Tests;

public sealed class RedisOptionsTests
{
    [Fact]
    public void Defaults_AreTheProtocolsProductionValues()
    {
        var options = Resolve([]);

        Assert.Equal("apex", options.Prefix);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaseTtl);
        Assert.Equal(TimeSpan.FromMinutes(10), options.DispatchTtl);
        Assert.Equal(TimeSpan.FromSeconds(5), options.SweepInterval);
        Assert.Equal(TimeSpan.FromSeconds(10), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), options.ClaimIdle);
    }

    [Fact]
    public void TestSettings_DownToTwoSecondLeasesAndHalfSecondSweeps_AreValid_AndDerivedDefaultsFollow()
    {
        var options = Resolve(new() { ["Apex:Redis:LeaseTtl"] = "00:00:02", ["Apex:Redis:SweepInterval"] = "00:00:00.5" });

        Assert.Equal(TimeSpan.FromSeconds(2), options.LeaseTtl);
        Assert.Equal(TimeSpan.FromSeconds(2) / 3, options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ClaimIdle);
    }

    [Theory]
    [InlineData("Apex:Redis:Prefix", " ")]
    [InlineData("Apex:Redis:LeaseTtl", "00:00:00.05")]
    [InlineData("Apex:Redis:HeartbeatInterval", "00:00:30")]
    [InlineData("Apex:Redis:DispatchTtl", "00:00:10")]
    [InlineData("Apex:Redis:ClaimIdle", "00:00:01")]
    [InlineData("Apex:Redis:SweepInterval", "00:00:00")]
    [InlineData("Apex:Redis:ReadBatch", "0")]
    [InlineData("Apex:Redis:EventsPerMessage", "0")]
    [InlineData("Apex:Redis:PollInterval", "00:00:05")]
    public void InvalidSetting_FailsValidation(string key, string value)
    {
        var failure = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.StartsWith(key, Assert.Single(failure.Failures));
    }

    [Fact]
    public void AddApexRedis_WithoutAConnectionString_Throws()
    {
        var configuration = new ConfigurationBuilder().Build();

        Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddApexRedis(configuration));
    }

    [Fact]
    public void AddApexRedis_ReplacesAnInProcessEventBus()
    {
        var services = new ServiceCollection().AddSingleton<IEventBus, NoBus>().AddApexRedis(Configuration([]));

        var registration = Assert.Single(services, d => d.ServiceType == typeof(IEventBus));
        Assert.NotNull(registration.ImplementationFactory);
        Assert.Contains(services, d => d.ServiceType == typeof(RedisEventBus));
    }

    private static RedisOptions Resolve(Dictionary<string, string?> settings)
    {
        using var provider = new ServiceCollection().AddApexRedis(Configuration(settings)).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<RedisOptions>>().Value;
    }

    private static IConfiguration Configuration(Dictionary<string, string?> settings)
    {
        settings["ConnectionStrings:Redis"] = "127.0.0.1:1";
        return new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
    }

    private sealed class NoBus : IEventBus
    {
        public void Publish(IReadOnlyList<StoredEvent> events)
        {
        }

        public EventSubscription Subscribe(Func<StoredEvent, bool> filter, int capacity = 1024) => throw new NotSupportedException();
    }
}
