using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Hybrid;

namespace Apex.Agents.ResponseCache;

/// <summary>
/// Answers a request the provider already answered from <see cref="HybridCache"/>. Built on the library's
/// <see cref="CachingChatClient"/>, which replays a cached answer to a streaming call as updates and stores a streamed
/// answer once it is complete; the key is our own, because the library's leaves out the tools. A hit keeps the original
/// text and reports zero tokens: it cost nothing.
/// </summary>
internal sealed class ResponseCachingChatClient(IChatClient inner, string provider, string model, HybridCache cache, TimeSpan ttl)
    : CachingChatClient(inner)
{
    private const string KeyPrefix = "llm:";

    private static readonly HybridCacheEntryOptions ReadOnly = new()
    {
        Flags = HybridCacheEntryFlags.DisableLocalCacheWrite | HybridCacheEntryFlags.DisableDistributedCacheWrite,
    };

    private static readonly JsonSerializerOptions Json = AIJsonUtilities.DefaultOptions;

    private readonly HybridCacheEntryOptions _write = new() { Expiration = ttl, LocalCacheExpiration = ttl };

    /// <summary>
    /// SHA-256 of the provider, the model, the messages, each tool's name, description and schema, and every
    /// serializable chat option (temperature, max tokens, response format, stop sequences...).
    /// </summary>
    protected override string GetCacheKey(IEnumerable<ChatMessage> messages, ChatOptions? options, params ReadOnlySpan<object?> additionalValues)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(provider.ToLowerInvariant());
            writer.WriteStringValue(options?.ModelId ?? model);
            JsonSerializer.Serialize(writer, messages as IList<ChatMessage> ?? [.. messages], Json.GetTypeInfo(typeof(IList<ChatMessage>)));
            JsonSerializer.Serialize(writer, options, Json.GetTypeInfo(typeof(ChatOptions)));
            writer.WriteStartArray();
            foreach (var tool in options?.Tools ?? [])
            {
                writer.WriteStringValue(tool.GetType().Name);
                writer.WriteStringValue(tool.Name);
                writer.WriteStringValue(tool.Description);
                if (tool is AIFunctionDeclaration function)
                {
                    function.JsonSchema.WriteTo(writer);
                }
            }
            writer.WriteEndArray();
            writer.WriteEndArray();
        }
        return KeyPrefix + Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    protected override async Task<ChatResponse?> ReadCacheAsync(string key, CancellationToken cancellationToken)
    {
        var bytes = await cache.GetOrCreateAsync(key, static _ => ValueTask.FromResult<byte[]?>(null), ReadOnly, cancellationToken: cancellationToken);
        if (bytes is not { Length: > 0 })
        {
            return null;
        }
        var response = (ChatResponse)JsonSerializer.Deserialize(bytes, Json.GetTypeInfo(typeof(ChatResponse)))!;
        response.Usage = new UsageDetails { InputTokenCount = 0, OutputTokenCount = 0, TotalTokenCount = 0 };
        return response;
    }

    protected override async Task WriteCacheAsync(string key, ChatResponse value, CancellationToken cancellationToken) =>
        await cache.SetAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, Json.GetTypeInfo(typeof(ChatResponse))), _write, cancellationToken: cancellationToken);

    // CoalesceStreamingUpdates is on (the base's default), so streams go through the two methods above; these serve
    // the other setting all the same.
    protected override async Task<IReadOnlyList<ChatResponseUpdate>?> ReadCacheStreamingAsync(string key, CancellationToken cancellationToken) =>
        await ReadCacheAsync(key, cancellationToken) is { } response ? response.ToChatResponseUpdates() : null;

    protected override Task WriteCacheStreamingAsync(string key, IReadOnlyList<ChatResponseUpdate> value, CancellationToken cancellationToken) =>
        WriteCacheAsync(key, value.ToChatResponse(), cancellationToken);
}
