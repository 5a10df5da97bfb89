using System.Globalization;
using Apex.Agents.Contracts;
using Apex.Contracts.Tasks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Apex.Redis.Budgets;

/// <summary>
/// The <see cref="IBudgetLedger"/> of distributed mode: one hash per budget under <c>{prefix}:budget:</c>, changed
/// only by the atomic scripts of <see cref="BudgetScripts"/>, so workers on any machine draw on one count.
/// </summary>
internal sealed class RedisBudgetLedger(IConnectionMultiplexer redis, IOptions<RedisOptions> options, IOptions<ContractOptions> contracts) : IBudgetLedger
{
    private static readonly RedisValue[] Fields = ["ut", "un", "uc", "rt", "rn", "rc"];

    private readonly string _prefix = options.Value.Prefix + ":budget:";
    private readonly long _ttlMs = (long)contracts.Value.SharedBudgetTtl.TotalMilliseconds;

    private IDatabase Db => redis.GetDatabase();

    public RedisKey Key(string key) => string.Concat(_prefix, key);

    public async ValueTask<BudgetReserveResult> TryReserveAsync(string key, TaskLimits limits, BudgetAmount amount, BudgetAmount seed, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var limit = BudgetLimits.From(limits);
        RedisValue[] args =
        [
            _ttlMs,
            amount.Tokens, amount.CostNanos, amount.Calls,
            limit.Tokens ?? -1, limit.CostNanos ?? -1, limit.Calls ?? -1,
            seed.Tokens, seed.CostNanos, seed.Calls,
        ];
        var reply = (long[])(await Db.ScriptEvaluateAsync(BudgetScripts.Reserve, [Key(key)], args))!;
        ContractDimension? exceeded = reply[0] switch
        {
            0 => null,
            1 => ContractDimension.Tokens,
            2 => ContractDimension.Cost,
            _ => ContractDimension.ApiCalls,
        };
        return new BudgetReserveResult(exceeded, new BudgetUsage(new(reply[1], reply[2], reply[3]), new(reply[4], reply[5], reply[6])));
    }

    public async ValueTask<BudgetAmount> SettleAsync(string key, BudgetAmount reserved, BudgetAmount actual, BudgetAmount seed, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        RedisValue[] args =
        [
            _ttlMs,
            -reserved.Tokens, -reserved.CostNanos, -reserved.Calls,
            actual.Tokens, actual.CostNanos, actual.Calls,
            seed.Tokens, seed.CostNanos, seed.Calls,
        ];
        var used = (long[])(await Db.ScriptEvaluateAsync(BudgetScripts.Settle, [Key(key)], args))!;
        return new BudgetAmount(used[0], used[1], used[2]);
    }

    public async ValueTask<BudgetUsage?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var values = await Db.HashGetAsync(Key(key), Fields);
        if (values.All(v => v.IsNull))
        {
            return null;
        }
        var n = values.Select(v => v.IsNull ? 0 : long.Parse((string)v!, CultureInfo.InvariantCulture)).ToArray();
        return new BudgetUsage(new(n[0], n[1], n[2]), new(n[3], n[4], n[5]));
    }
}
