using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;

namespace Apex.Cli.Rendering;

/// <summary>A DAG and its tasks at one moment, in the DAG's task order.</summary>
internal sealed record DagProgress(Guid Id, string Name, DagState Status, IReadOnlyList<TaskProgress> Tasks)
{
    public bool IsTerminal => Status is DagState.Succeeded or DagState.Failed or DagState.Cancelled;

    public long Tokens => Tasks.Sum(t => t.Tokens);

    public decimal CostUsd => Tasks.Sum(t => t.CostUsd);

    /// <summary>"2 succeeded · 1 running · 3 pending", in lifecycle order.</summary>
    public string Counts() => string.Join(" · ", Tasks
        .GroupBy(t => t.Status)
        .OrderBy(g => g.Key)
        .Select(g => $"{g.Count()} {ProgressStyle.Name(g.Key)}"));

    public int Count(TaskState status) => Tasks.Count(t => t.Status == status);
}
