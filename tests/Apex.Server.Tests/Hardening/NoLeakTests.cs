using System.Net;
using System.Text;
using Apex.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Apex.Server.Tests.Hardening;

/// <summary>
/// No answer carries a stack trace, an exception's type or message, a .NET type name or a file path: driven through
/// bad bodies, wrong types, bad route and query values, and two unexpected failures (one inside the app's error
/// handling, one outside it, where ASP.NET Core's developer exception page sits in Development).
/// </summary>
public sealed class NoLeakTests
{
    /// <summary>Header that makes <see cref="ExplodingMatcherPolicy"/> throw while routing, outside the app's exception handler.</summary>
    private const string Explode = "X-Test-Explode";

    /// <summary>Text of the provoked exception: it must appear nowhere.</summary>
    private const string Secret = "Kaboom at /srv/apex/Secret.cs:42";

    private static readonly string[] Forbidden =
    [
        "Exception", "exception", "   at ", "Kaboom", "Secret.cs", ".cs:", "System.", "Microsoft.", "Apex.", "/srv/", "/tmp/", "/work/", "/home/",
        "CreateTaskRequest", "CreateDagRequest", "AgentRequest", "Int32", "Int64", "Nullable", "Guid ", "String ", "int? ", "StackTrace", "<html",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Environments => ["Testing", "Development", "Production"];

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task Failures_LeakNothing(string environment)
    {
        await using var apex = new ApexAppFactory();
        await using var factory = Configure(apex, environment);
        using var client = factory.CreateClient();
        var task = $"/api/v1/tasks/{Guid.NewGuid()}";
        var cases = new (string Method, string Url, string? ContentType, byte[]? Body)[]
        {
            ("POST", "/api/v1/tasks", "application/json", "{\"instruction\": \"unterminated"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", "{\"instruction\": 42}"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", "{\"instruction\": \"x\", \"max_attempts\": \"many\"}"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", "{\"instruction\": \"x\", \"max_attempts\": 99999999999999999999}"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", "[1, 2, 3]"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", "null"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", "{}"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", []),
            ("POST", "/api/v1/tasks", "application/json", null),
            ("POST", "/api/v1/tasks", "application/json", [0x7b, 0x22, 0x69, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
            ("POST", "/api/v1/tasks", "application/json; charset=utf-999", "{\"instruction\": \"x\"}"u8.ToArray()),
            ("POST", "/api/v1/tasks", "text/plain", "instruction"u8.ToArray()),
            ("POST", "/api/v1/tasks", "application/json", Encoding.ASCII.GetBytes(new string('[', 200) + new string(']', 200))),
            ("POST", "/api/v1/tasks/batch", "application/json", "{\"tasks\": 5}"u8.ToArray()),
            ("POST", "/api/v1/dags", "application/json", "{\"tasks\": [{\"id\": {}}]}"u8.ToArray()),
            ("POST", $"/api/v1/agents", "application/json", "{\"name\": [\"a\"]}"u8.ToArray()),
            ("PUT", $"/api/v1/agents/{Guid.NewGuid()}", "application/json", "{\"name\": true}"u8.ToArray()),
            ("POST", $"/api/v1/approvals/{Guid.NewGuid()}/approve", "application/json", "{\"decided_by\": {}}"u8.ToArray()),
            ("POST", "/api/v1/admin/keys", "application/json", "{\"name\": \"k\", \"roles\": \"admin\", \"expires_at\": \"tomorrow\"}"u8.ToArray()),
            ("GET", "/api/v1/tasks/not-a-guid", null, null),
            ("GET", "/api/v1/tasks?limit=many", null, null),
            ("GET", "/api/v1/tasks?limit=99999999999999999999", null, null),
            ("GET", "/api/v1/tasks?status=exploded", null, null),
            ("GET", "/api/v1/tasks?cursor=%00%ff", null, null),
            ("GET", $"/api/v1/approvals?task_id=not-a-guid", null, null),
            ("GET", $"{task}/events?after=soon", null, null),
            ("GET", $"{task}/stream", null, null),
            ("DELETE", "/api/v1/tasks", null, null),
            ("GET", "/api/v1/nothing-here", null, null),
        };
        var leaks = new List<string>();
        foreach (var (method, url, contentType, body) in cases)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
            using var response = await client.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);
            if ((int)response.StatusCode is < 400 or >= 500 || response.Content.Headers.ContentType?.MediaType != "application/problem+json" || Leaks(text) is { } found)
            {
                leaks.Add($"{method} {url} ({contentType}, {(body is null ? "no body" : Encoding.UTF8.GetString(body))}): {(int)response.StatusCode} {response.Content.Headers.ContentType} {Leaks(text)} {text}");
            }
        }
        Assert.True(leaks.Count == 0, string.Join("\n", leaks));
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task UnexpectedFailure_InsideTheHandler_Is500ProblemWithNothingOfIt(string environment)
    {
        await using var apex = new ApexAppFactory();
        await using var factory = Configure(apex, environment);
        using var client = factory.CreateClient();
        using (var ready = await client.GetAsync("/api/v1/approvals", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }
        // A store that lost a table (a botched manual migration): the read fails with an error no code expects.
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(apex.DataDirectory, "apex.db")}"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE approvals RENAME TO approvals_lost";
            await command.ExecuteNonQueryAsync(Ct);
        }

        foreach (var accept in new[] { "application/json", "text/html" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/approvals");
            request.Headers.Add("Accept", accept);
            using var response = await client.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.True(Leaks(text) is null, $"{accept}: {text}");
            Assert.DoesNotContain("approvals_lost", text, StringComparison.Ordinal);
            Assert.DoesNotContain("no such table", text, StringComparison.Ordinal);
            if (accept == "application/json")
            {
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Contains("\"internal_error\"", text, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Environments))]
    public async Task UnexpectedFailure_OutsideTheHandler_ShowsNoDeveloperPage(string environment)
    {
        await using var apex = new ApexAppFactory();
        await using var factory = Configure(apex, environment);
        using var client = factory.CreateClient();

        foreach (var accept in new[] { "application/json", "text/html", "*/*" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tasks");
            request.Headers.Add(Explode, "1");
            request.Headers.Add("Accept", accept);
            using var response = await client.SendAsync(request, Ct);
            var text = await response.Content.ReadAsStringAsync(Ct);

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.True(Leaks(text) is null, $"{environment}, {accept}: {Leaks(text)} in {text}");
        }
    }

    private static string? Leaks(string text) => Forbidden.FirstOrDefault(f => text.Contains(f, StringComparison.Ordinal));

    private static WebApplicationFactory<Program> Configure(ApexAppFactory apex, string environment) =>
        apex.WithWebHostBuilder(b =>
        {
            b.UseEnvironment(environment);
            b.ConfigureTestServices(s => s.AddSingleton<MatcherPolicy, ExplodingMatcherPolicy>());
        });

    /// <summary>Throws while routing a request that carries <see cref="Explode"/>: an exception that escapes the app's handler.</summary>
    private sealed class ExplodingMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
    {
        public override int Order => 0;

        public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) => true;

        public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates) =>
            httpContext.Request.Headers.ContainsKey(Explode) ? throw new InvalidOperationException(Secret) : Task.CompletedTask;
    }
}
