using Apex.Redis.Events;
using Apex.Redis.Queue;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit;

namespace Apex.Redis.Tests;

/// <summary>
/// A connection to the Redis of <c>APEX_TEST_REDIS</c> and a key prefix of this test's own, whose keys are deleted on
/// dispose. Without the variable a test skips, except under <c>CI=true</c>, where it fails.
/// </summary>
internal sealed class RedisTestContext : IAsyncDisposable
{
    private readonly List<IConnectionMultiplexer> _connections = [];
    private readonly List<IAsyncDisposable> _clients = [];

    private RedisTestContext(IConnectionMultiplexer redis, RedisOptions options)
    {
        Redis = redis;
        Options = options;
        _connections.Add(redis);
        Dispatcher = NewDispatcher();
        Worker = NewWorker();
    }

    public IConnectionMultiplexer Redis { get; }

    public IDatabase Db => Redis.GetDatabase();

    public RedisOptions Options { get; }

    public string Prefix => Options.Prefix;

    public RedisDispatcher Dispatcher { get; }

    public RedisWorkerClient Worker { get; }

    public static CancellationToken Token => TestContext.Current.CancellationToken;

    public static async Task<RedisTestContext> CreateAsync(Action<RedisOptions>? configure = null)
    {
        var options = new RedisOptions
        {
            Prefix = $"apextest:{Guid.NewGuid():N}",
            LeaseTtl = TimeSpan.FromSeconds(2),
            SweepInterval = TimeSpan.FromMilliseconds(500),
            BlockTime = TimeSpan.FromSeconds(2),
        };
        configure?.Invoke(options);
        return new RedisTestContext(await ConnectAsync(), options);
    }

    /// <summary>Another connection, as another process (API server or worker) would have.</summary>
    public async Task<IConnectionMultiplexer> ConnectOtherAsync()
    {
        var redis = await ConnectAsync();
        _connections.Add(redis);
        return redis;
    }

    public RedisDispatcher NewDispatcher(IConnectionMultiplexer? redis = null, RedisOptions? options = null) =>
        Owned(new RedisDispatcher(redis ?? Redis, Microsoft.Extensions.Options.Options.Create(options ?? Options), TimeProvider.System, NullLogger<RedisDispatcher>.Instance));

    public RedisWorkerClient NewWorker(IConnectionMultiplexer? redis = null, RedisOptions? options = null) =>
        Owned(new RedisWorkerClient(redis ?? Redis, Microsoft.Extensions.Options.Options.Create(options ?? Options), TimeProvider.System, NullLogger<RedisWorkerClient>.Instance));

    /// <summary>Disposed with the context (their blocking-read connections).</summary>
    private T Owned<T>(T client)
        where T : IAsyncDisposable
    {
        _clients.Add(client);
        return client;
    }

    public RedisEventBus NewEventBus(IConnectionMultiplexer redis) =>
        new(redis, Microsoft.Extensions.Options.Options.Create(Options), NullLogger<RedisEventBus>.Instance);

    public CacheInvalidation NewCacheInvalidation(IConnectionMultiplexer redis) =>
        new(redis, Microsoft.Extensions.Options.Options.Create(Options), NullLogger<CacheInvalidation>.Instance);

    public RedisKey Key(string suffix) => $"{Prefix}:{suffix}";

    public RedisKey LeaseKey(Guid taskId) => Key($"lease:{taskId:D}");

    public async ValueTask DisposeAsync()
    {
        var server = Redis.GetServers().First(s => !s.IsReplica);
        var keys = new List<RedisKey>();
        await foreach (var key in server.KeysAsync(pattern: Prefix + ":*", pageSize: 1000))
        {
            keys.Add(key);
        }
        if (keys.Count > 0)
        {
            await Db.KeyDeleteAsync([.. keys]);
        }
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync()
    {
        var endpoint = Environment.GetEnvironmentVariable("APEX_TEST_REDIS");
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("APEX_TEST_REDIS is not set, and CI=true: the Redis integration tests must run in CI.");
            }
            Assert.Skip("APEX_TEST_REDIS is not set; Redis integration tests are skipped.");
        }
        var options = ConfigurationOptions.Parse(endpoint);
        options.AbortOnConnectFail = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }
}
