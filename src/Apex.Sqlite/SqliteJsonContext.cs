using System.Text.Json.Serialization;

namespace Apex.Sqlite;

[JsonSerializable(typeof(Guid[]))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
