using System.Net.Http.Json;
using Apex.Contracts;
using Apex.Core.Security;
using Apex.Server.Tests.Security;
using Apex.Testing;
using Npgsql;
using Xunit;

namespace Apex.Server.Tests.Audit;

/// <summary>The acceptance line "editing one audit row is detected by the chain check", on a server backed by PostgreSQL.</summary>
public sealed class AuditVerifyPostgresTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Verify_OneRowEditedThroughSql_IsReportedAtThatSeq()
    {
        PostgresDatabase.RequireServer();
        await database.ResetAsync();
        await using var auth = AuthFixture.Create(new Dictionary<string, string?> { ["ConnectionStrings:Postgres"] = database.ConnectionString });
        for (var i = 0; i < 4; i++)
        {
            await auth.CreateKeyAsync(Ct, ApexRoles.Viewer);
        }
        using var admin = auth.Client(auth.BootstrapKey);
        var intact = await ApexHttp.PollAsync(async () =>
        {
            var result = await admin.GetFromJsonAsync("/api/v1/admin/audit/verify", ApexJsonContext.Default.AuditVerificationResponse, Ct);
            return result!.Checked >= 4 ? result : null;
        }, TimeSpan.FromSeconds(10), Ct);
        Assert.True(intact?.Valid, intact?.Reason);

        await using (var dataSource = NpgsqlDataSource.Create(database.ConnectionString))
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(async () =>
            {
                await using var update = dataSource.CreateCommand("UPDATE audit_log SET outcome = 'failure' WHERE seq = 2");
                await update.ExecuteNonQueryAsync(Ct);
            });
            Assert.Contains("append-only", refused.MessageText, StringComparison.Ordinal);
            await using var tamper = dataSource.CreateCommand("""
                BEGIN;
                ALTER TABLE audit_log DISABLE TRIGGER USER;
                UPDATE audit_log SET detail = 'name harmless, roles viewer' WHERE seq = 2;
                ALTER TABLE audit_log ENABLE TRIGGER USER;
                COMMIT;
                """);
            await tamper.ExecuteNonQueryAsync(Ct);
        }
        var broken = (await admin.GetFromJsonAsync("/api/v1/admin/audit/verify", ApexJsonContext.Default.AuditVerificationResponse, Ct))!;

        Assert.False(broken.Valid);
        Assert.Equal(2, broken.FirstInvalidSeq);
        Assert.Equal(1, broken.Checked);
        Assert.Contains("entry 2", broken.Reason!, StringComparison.OrdinalIgnoreCase);
        Assert.Null(broken.HeadHash);
        var json = await admin.GetStringAsync("/api/v1/admin/audit/verify", Ct);
        Assert.Contains("\"first_invalid_seq\":2", json, StringComparison.Ordinal);
    }
}
