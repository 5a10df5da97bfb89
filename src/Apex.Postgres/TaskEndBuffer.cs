using Apex.Contracts.Tasks;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Core.Tasks;

namespace Apex.Postgres;

/// <summary>
/// Task transitions to a terminal state gathered row by row and applied with one set-based UPDATE: each row is a
/// compare-and-set on the (status, attempt) the task was locked at.
/// </summary>
internal sealed class TaskEndBuffer
{
    public const string Sql = """
        UPDATE tasks SET status = u.status, output = u.output, error_code = u.code, error_message = u.message,
            input_tokens = tasks.input_tokens + u.input_tokens, output_tokens = tasks.output_tokens + u.output_tokens,
            cost_nanousd = tasks.cost_nanousd + u.cost_nanousd, api_calls = tasks.api_calls + u.api_calls,
            finished_at = @now, run_at = NULL, version = tasks.version + 1
        FROM unnest(@ids::uuid[], @froms::text[], @attempts::integer[], @statuses::text[], @outputs::text[], @codes::text[], @messages::text[],
            @input_tokens::bigint[], @output_tokens::bigint[], @cost_nanousd::bigint[], @api_calls::integer[])
            AS u (id, from_status, attempt, status, output, code, message, input_tokens, output_tokens, cost_nanousd, api_calls)
        WHERE tasks.id = u.id AND tasks.status = u.from_status AND tasks.attempt = u.attempt
        """;

    private readonly HashSet<Guid> _pending = [];
    private readonly List<Guid> _ids = [];
    private readonly List<string> _from = [];
    private readonly List<int> _attempts = [];
    private readonly List<string> _statuses = [];
    private readonly List<string?> _outputs = [];
    private readonly List<string?> _codes = [];
    private readonly List<string?> _messages = [];
    private readonly List<long> _inputTokens = [];
    private readonly List<long> _outputTokens = [];
    private readonly List<long> _costs = [];
    private readonly List<int> _calls = [];

    public int Count => _ids.Count;

    public bool Contains(Guid taskId) => _pending.Contains(taskId);

    public void Add(TaskRecord task, TaskState state, string? output, TaskError? error, UsageDelta usage)
    {
        _pending.Add(task.Id);
        _ids.Add(task.Id);
        _from.Add(task.Status.Name());
        _attempts.Add(task.Attempt);
        _statuses.Add(state.Name());
        _outputs.Add(output);
        _codes.Add(error?.Code);
        _messages.Add(error?.Message);
        _inputTokens.Add(usage.InputTokens);
        _outputTokens.Add(usage.OutputTokens);
        _costs.Add(StoreValues.ToNanos(usage.CostUsd));
        _calls.Add(usage.ApiCalls);
    }

    public (string Name, object? Value)[] Parameters(DateTimeOffset now) =>
    [
        ("ids", _ids.ToArray()), ("froms", _from.ToArray()), ("attempts", _attempts.ToArray()), ("statuses", _statuses.ToArray()),
        ("outputs", _outputs.ToArray()), ("codes", _codes.ToArray()), ("messages", _messages.ToArray()),
        ("input_tokens", _inputTokens.ToArray()), ("output_tokens", _outputTokens.ToArray()), ("cost_nanousd", _costs.ToArray()),
        ("api_calls", _calls.ToArray()), ("now", now),
    ];

    public void Clear()
    {
        _pending.Clear();
        _ids.Clear();
        _from.Clear();
        _attempts.Clear();
        _statuses.Clear();
        _outputs.Clear();
        _codes.Clear();
        _messages.Clear();
        _inputTokens.Clear();
        _outputTokens.Clear();
        _costs.Clear();
        _calls.Clear();
    }
}
