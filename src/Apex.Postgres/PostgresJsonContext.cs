using System.Text.Json.Serialization;

namespace Apex.Postgres;

[JsonSerializable(typeof(Guid[]))]
internal sealed partial class PostgresJsonContext : JsonSerializerContext;
