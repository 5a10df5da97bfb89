namespace Apex.Contracts.Tasks;

/// <summary>Body of <c>POST /api/v1/tasks/batch</c>: validated all-or-nothing.</summary>
public sealed record CreateTaskBatchRequest
{
    /// <summary>The tasks to create.</summary>
    public List<CreateTaskRequest>? Tasks { get; init; }
}

/// <summary>Answer of <c>POST /api/v1/tasks/batch</c>: ids in request order.</summary>
public sealed record CreateTaskBatchResponse(IReadOnlyList<Guid> Ids);
