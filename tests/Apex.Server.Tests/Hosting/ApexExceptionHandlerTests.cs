using System.Net;
using System.Net.Http.Json;
using System.Text;
using Apex.Contracts;
using Apex.Server.Tests.Conformance;
using Apex.Testing;
using Xunit;
using static Apex.Testing.Specs;

namespace Apex.Server.Tests.Hosting;

/// <summary>Problem+json answers and their codes, on each backend (see <see cref="ApexBackend"/>): the store behind a lookup differs.</summary>
public abstract class ApexExceptionHandlerTests(ApexBackend backend)
{
    [Theory]
    [InlineData("{\"instruction\": \"unterminated")]
    [InlineData("{\"instruction\": 42}")]
    [InlineData("[1, 2, 3]")]
    [InlineData("not json at all")]
    public async Task CreateTask_MalformedJson_Returns400MalformedJson(string body)
    {
        var problem = await SendAsync(HttpMethod.Post, "/api/v1/tasks", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, problem.Status);
        Assert.Equal("malformed_json", problem.Code);
    }

    [Fact]
    public async Task CreateTask_MissingInstruction_Returns422WithInstructionError()
    {
        var problem = await SendAsync(HttpMethod.Post, "/api/v1/tasks", JsonContent.Create(TaskRequest(null!), ApexJsonContext.Default.CreateTaskRequest));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal("validation_failed", problem.Code);
        Assert.Contains("instruction", problem.Errors.Keys);
    }

    [Fact]
    public async Task CreateTask_UnknownAgent_Returns422UnknownAgent()
    {
        var problem = await SendAsync(HttpMethod.Post, "/api/v1/tasks",
            JsonContent.Create(TaskRequest("Hello.", agent: "nobody"), ApexJsonContext.Default.CreateTaskRequest));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal("unknown_agent", problem.Code);
        Assert.Contains("agent", problem.Errors.Keys);
    }

    [Theory]
    [InlineData("/api/v1/tasks?limit=0", "invalid_limit")]
    [InlineData("/api/v1/tasks?limit=100000", "invalid_limit")]
    [InlineData("/api/v1/tasks?status=exploded", "invalid_status")]
    [InlineData("/api/v1/tasks?cursor=not-a-cursor", "invalid_cursor")]
    [InlineData("/api/v1/dags?limit=-1", "invalid_limit")]
    public async Task List_InvalidQuery_Returns422WithCode(string url, string code)
    {
        var problem = await SendAsync(HttpMethod.Get, url);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, problem.Status);
        Assert.Equal(code, problem.Code);
    }

    [Fact]
    public async Task List_NonNumericLimit_Returns400Problem()
    {
        var problem = await SendAsync(HttpMethod.Get, "/api/v1/tasks?limit=many");

        Assert.Equal(HttpStatusCode.BadRequest, problem.Status);
        Assert.Equal("bad_request", problem.Code);
    }

    [Theory]
    [InlineData("GET", "/api/v1/tasks/{0}", "task_not_found")]
    [InlineData("POST", "/api/v1/tasks/{0}/cancel", "task_not_found")]
    [InlineData("POST", "/api/v1/tasks/{0}/retry", "task_not_found")]
    [InlineData("GET", "/api/v1/tasks/{0}/events", "task_not_found")]
    [InlineData("GET", "/api/v1/tasks/{0}/stream", "task_not_found")]
    [InlineData("GET", "/api/v1/agents/{0}", "agent_not_found")]
    public async Task Request_UnknownId_Returns404ProblemWithCode(string method, string template, string code)
    {
        var problem = await SendAsync(new HttpMethod(method), string.Format(System.Globalization.CultureInfo.InvariantCulture, template, Guid.NewGuid()));

        Assert.Equal(HttpStatusCode.NotFound, problem.Status);
        Assert.Equal(code, problem.Code);
    }

    [Theory]
    [InlineData("/api/v1/tasks/not-a-guid")]
    [InlineData("/api/v1/nothing-here")]
    public async Task Request_RouteThatDoesNotExist_Returns404ProblemWithCodeNotFound(string url)
    {
        var problem = await SendAsync(HttpMethod.Get, url);

        Assert.Equal(HttpStatusCode.NotFound, problem.Status);
        Assert.Equal("not_found", problem.Code);
    }

    /// <summary>Sends a request that must fail: never a 5xx, always problem+json.</summary>
    private async Task<Problem> SendAsync(HttpMethod method, string url, HttpContent? content = null)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await backend.StartAsync();
        using var request = new HttpRequestMessage(method, url) { Content = content };
        using var response = await server.Client.SendAsync(request, ct);

        var problem = await Problem.ReadAsync(response, ct);
        Assert.True((int)problem.Status is >= 400 and < 500, $"Expected a 4xx, got {problem}");
        Assert.Equal("application/problem+json", problem.ContentType);
        Assert.Equal((int)problem.Status, problem.Body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.Code), $"No code in {problem}");
        return problem;
    }

    /// <summary>On SQLite with in-process workers.</summary>
    public sealed class Embedded(EmbeddedBackend backend) : ApexExceptionHandlerTests(backend), IClassFixture<EmbeddedBackend>;

    /// <summary>On PostgreSQL and Redis Streams with a worker process.</summary>
    [Collection(DistributedBackend.Collection)]
    public sealed class Distributed(DistributedBackend backend) : ApexExceptionHandlerTests(backend);
}
