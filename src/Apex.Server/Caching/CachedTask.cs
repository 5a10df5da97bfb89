using System.Buffers;
using System.Buffers.Binary;
using System.ComponentModel;
using System.Text.Json;
using Apex.Contracts;
using Apex.Contracts.Tasks;
using Microsoft.Extensions.Caching.Hybrid;

namespace Apex.Server.Caching;

/// <summary>A finished task as cached: its wire record and the row version it was read at. Never mutated once built.</summary>
/// <param name="Task">The response body.</param>
/// <param name="Version">The task's version (number of events) when it was read.</param>
[ImmutableObject(true)]
internal sealed record CachedTask(TaskResponse Task, int Version);

/// <summary>
/// The Redis (L2) form of <see cref="CachedTask"/>: the version as 4 little-endian bytes, then the task as the API's
/// source-generated snake_case JSON.
/// </summary>
internal sealed class CachedTaskSerializer : IHybridCacheSerializer<CachedTask>
{
    public CachedTask Deserialize(ReadOnlySequence<byte> source)
    {
        var reader = new SequenceReader<byte>(source);
        if (!reader.TryReadLittleEndian(out int version))
        {
            throw new JsonException("A cached task entry is shorter than its version header.");
        }
        var json = new Utf8JsonReader(source.Slice(reader.Position));
        var task = JsonSerializer.Deserialize(ref json, ApexJsonContext.Default.TaskResponse)
            ?? throw new JsonException("A cached task entry holds null.");
        return new CachedTask(task, version);
    }

    public void Serialize(CachedTask value, IBufferWriter<byte> target)
    {
        BinaryPrimitives.WriteInt32LittleEndian(target.GetSpan(sizeof(int)), value.Version);
        target.Advance(sizeof(int));
        using var writer = new Utf8JsonWriter(target);
        JsonSerializer.Serialize(writer, value.Task, ApexJsonContext.Default.TaskResponse);
    }
}
