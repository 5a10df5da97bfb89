using Apex.Core.Events;
using Apex.Contracts.Dags;
using Apex.Core.Errors;
using Apex.Core.Tasks;

namespace Apex.Core.Dags;

/// <summary>
/// Turns a submitted DAG into a <see cref="DagPlan"/> or throws <see cref="ApexValidationException"/> with one of
/// <see cref="DagErrorCodes"/>. Every algorithm is iterative: a 10,000-deep chain must not overflow the stack.
/// </summary>
public sealed class DagValidator(DagOptions options)
{
    private const int MaxNodesNamed = 20;

    /// <summary>Validates <paramref name="request"/>.</summary>
    public DagPlan Validate(CreateDagRequest request)
    {
        var specs = request.Tasks;
        if (specs is null || specs.Count == 0)
        {
            throw new ApexValidationException(DagErrorCodes.Empty, "A DAG needs at least one task.");
        }
        if (specs.Count > options.MaxNodes)
        {
            throw new ApexValidationException(DagErrorCodes.TooLarge,
                $"The DAG has {specs.Count} tasks; the limit is {options.MaxNodes} (setting Apex:Dags:MaxNodes).");
        }

        var indexOf = IndexKeys(specs);
        var dependencies = CollectEdges(request, specs, indexOf, out var edgeCount);
        var order = TopologicalOrder(dependencies, specs);
        CheckReferences(specs, indexOf, dependencies);
        CheckFields(request, specs);

        var position = new int[specs.Count];
        for (var i = 0; i < order.Length; i++)
        {
            position[order[i]] = i;
        }
        var nodes = new DagNode[specs.Count];
        for (var i = 0; i < order.Length; i++)
        {
            var original = order[i];
            var spec = specs[original];
            var deps = new int[dependencies[original].Count];
            for (var d = 0; d < deps.Length; d++)
            {
                deps[d] = position[dependencies[original][d]];
            }
            nodes[i] = new DagNode
            {
                Index = i,
                SourceIndex = original,
                Key = spec.Id!,
                Name = string.IsNullOrWhiteSpace(spec.Name) ? spec.Id! : spec.Name,
                Instruction = spec.Instruction!,
                Agent = spec.Agent,
                MaxAttempts = spec.MaxAttempts,
                Limits = spec.Limits,
                OutputSchema = TaskRules.SchemaText(spec.OutputSchema),
                Dependencies = deps,
            };
        }

        return new DagPlan
        {
            Name = string.IsNullOrWhiteSpace(request.Name) ? "dag" : request.Name,
            FailurePolicy = request.FailurePolicy ?? FailurePolicy.FailFast,
            Priority = request.Priority ?? 0,
            Limits = request.Limits,
            Metadata = request.Metadata,
            Nodes = nodes,
            EdgeCount = edgeCount,
        };
    }

    private static Dictionary<string, int> IndexKeys(List<DagTaskSpec> specs)
    {
        var invalid = new List<string>();
        var duplicates = new List<string>();
        var indexOf = new Dictionary<string, int>(specs.Count, StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            var id = specs[i]?.Id;
            if (!DagKeys.IsValid(id))
            {
                invalid.Add(id ?? $"tasks[{i}]");
            }
            else if (!indexOf.TryAdd(id!, i))
            {
                duplicates.Add(id!);
            }
        }
        if (invalid.Count > 0)
        {
            throw new ApexValidationException(DagErrorCodes.InvalidTaskId,
                $"Task ids must be 1–{DagKeys.MaxLength} characters of [A-Za-z0-9_.-]; invalid: {Names(invalid)}.", nodes: Cap(invalid));
        }
        if (duplicates.Count > 0)
        {
            var distinct = duplicates.Distinct(StringComparer.Ordinal).ToList();
            throw new ApexValidationException(DagErrorCodes.DuplicateTaskId,
                $"Task ids must be unique; repeated: {Names(distinct)}.", nodes: Cap(distinct));
        }
        return indexOf;
    }

    private List<int>[] CollectEdges(CreateDagRequest request, List<DagTaskSpec> specs, Dictionary<string, int> indexOf, out int edgeCount)
    {
        var dependencies = new List<int>[specs.Count];
        var seen = new HashSet<long>();
        var unknown = new List<string>();
        var self = new List<string>();
        edgeCount = 0;

        void Add(string? from, string to, int toIndex)
        {
            if (from is null || !indexOf.TryGetValue(from, out var fromIndex))
            {
                unknown.Add($"{to} → {from ?? "(null)"}");
                return;
            }
            if (fromIndex == toIndex)
            {
                self.Add(to);
                return;
            }
            if (seen.Add(((long)fromIndex << 32) | (uint)toIndex))
            {
                (dependencies[toIndex] ??= []).Add(fromIndex);
            }
        }

        for (var i = 0; i < specs.Count; i++)
        {
            dependencies[i] ??= [];
            foreach (var dep in specs[i].DependsOn ?? [])
            {
                Add(dep, specs[i].Id!, i);
            }
        }
        foreach (var edge in request.Dependencies ?? [])
        {
            if (edge?.To is null || !indexOf.TryGetValue(edge.To, out var toIndex))
            {
                unknown.Add($"{edge?.To ?? "(null)"} ← {edge?.From ?? "(null)"}");
                continue;
            }
            Add(edge.From, edge.To, toIndex);
        }

        if (self.Count > 0)
        {
            throw new ApexValidationException(DagErrorCodes.SelfDependency,
                $"A task cannot depend on itself: {Names(self)}.", nodes: Cap(self));
        }
        if (unknown.Count > 0)
        {
            throw new ApexValidationException(DagErrorCodes.UnknownDependency,
                $"Dependencies name tasks that do not exist (task → missing dependency): {Names(unknown)}.", nodes: Cap(unknown));
        }
        edgeCount = seen.Count;
        if (edgeCount > options.MaxEdges)
        {
            throw new ApexValidationException(DagErrorCodes.TooManyEdges,
                $"The DAG has {edgeCount} edges; the limit is {options.MaxEdges} (setting Apex:Dags:MaxEdges).");
        }
        return dependencies;
    }

    /// <summary>Kahn's algorithm; on a cycle, names the nodes of one cycle in execution order.</summary>
    private static int[] TopologicalOrder(List<int>[] dependencies, List<DagTaskSpec> specs)
    {
        var n = dependencies.Length;
        var remaining = new int[n];
        var dependentCount = new int[n];
        for (var i = 0; i < n; i++)
        {
            remaining[i] = dependencies[i].Count;
            foreach (var d in dependencies[i])
            {
                dependentCount[d]++;
            }
        }
        // Dependents in CSR form: one array, no per-node list.
        var start = new int[n + 1];
        for (var i = 0; i < n; i++)
        {
            start[i + 1] = start[i] + dependentCount[i];
        }
        var fill = (int[])start.Clone();
        var dependents = new int[start[n]];
        for (var i = 0; i < n; i++)
        {
            foreach (var d in dependencies[i])
            {
                dependents[fill[d]++] = i;
            }
        }

        var order = new int[n];
        int head = 0, tail = 0;
        for (var i = 0; i < n; i++)
        {
            if (remaining[i] == 0)
            {
                order[tail++] = i;
            }
        }
        while (head < tail)
        {
            var v = order[head++];
            for (var e = start[v]; e < start[v + 1]; e++)
            {
                if (--remaining[dependents[e]] == 0)
                {
                    order[tail++] = dependents[e];
                }
            }
        }
        if (tail == n)
        {
            return order;
        }

        var cycle = FindCycle(dependencies, remaining);
        var keys = cycle.Select(i => specs[i].Id!).ToList();
        throw new ApexValidationException(DagErrorCodes.Cycle,
            keys.Count <= MaxNodesNamed
                ? $"The dependencies form a cycle: {string.Join(" → ", keys.Append(keys[0]))}."
                : $"The dependencies form a cycle of {keys.Count} tasks: {string.Join(" → ", keys.Take(MaxNodesNamed))} → …",
            nodes: Cap(keys));
    }

    /// <summary>
    /// Every node left by Kahn's algorithm has a dependency that is also left, so walking dependencies from any of
    /// them must revisit a node; the walk from that node's first visit is a cycle.
    /// </summary>
    private static List<int> FindCycle(List<int>[] dependencies, int[] remaining)
    {
        var startNode = Array.FindIndex(remaining, r => r > 0);
        var visitedAt = new Dictionary<int, int>();
        var path = new List<int>();
        var v = startNode;
        while (!visitedAt.ContainsKey(v))
        {
            visitedAt[v] = path.Count;
            path.Add(v);
            v = dependencies[v].First(d => remaining[d] > 0);
        }
        var cycle = path.GetRange(visitedAt[v], path.Count - visitedAt[v]);
        cycle.Reverse(); // the walk followed dependencies backwards; show the order in which they would run
        return cycle;
    }

    private static void CheckReferences(List<DagTaskSpec> specs, Dictionary<string, int> indexOf, List<int>[] dependencies)
    {
        var unknown = new List<string>();
        var notDependency = new List<string>();
        for (var i = 0; i < specs.Count; i++)
        {
            var instruction = specs[i].Instruction;
            if (instruction is null)
            {
                continue;
            }
            foreach (var key in InstructionTemplate.References(instruction))
            {
                if (!indexOf.TryGetValue(key, out var target))
                {
                    unknown.Add($"{specs[i].Id} → {key}");
                }
                else if (!dependencies[i].Contains(target))
                {
                    notDependency.Add($"{specs[i].Id} → {key}");
                }
            }
        }
        if (unknown.Count > 0)
        {
            throw new ApexValidationException(DagErrorCodes.UnknownOutputReference,
                $"Instructions reference the output of tasks that do not exist (task → reference): {Names(unknown)}.", nodes: Cap(unknown));
        }
        if (notDependency.Count > 0)
        {
            throw new ApexValidationException(DagErrorCodes.OutputReferenceNotDependency,
                $"An instruction may only reference the output of a task it depends on (task → reference): {Names(notDependency)}.", nodes: Cap(notDependency));
        }
    }

    private static void CheckFields(CreateDagRequest request, List<DagTaskSpec> specs)
    {
        var errors = new Dictionary<string, string[]>();
        for (var i = 0; i < specs.Count; i++)
        {
            var spec = specs[i];
            if (string.IsNullOrWhiteSpace(spec.Instruction))
            {
                errors[$"tasks[{i}].instruction"] = ["An instruction is required."];
            }
            if (spec.Agent is not null && !DagKeys.IsValid(spec.Agent))
            {
                errors[$"tasks[{i}].agent"] = ["Agent names are 1–128 characters of [A-Za-z0-9_.-]."];
            }
            TaskRules.CheckMaxAttempts(spec.MaxAttempts, $"tasks[{i}].max_attempts", errors);
            TaskRules.CheckLimits(spec.Limits, $"tasks[{i}].limits", errors);
            TaskRules.CheckOutputSchema(spec.OutputSchema, $"tasks[{i}].output_schema", errors);
            if (request.Limits is { } dagLimits && DagLimitsValid(request.Limits))
            {
                // The DAG's limits are a budget its tasks share: no task may be allowed more than all of it.
                DagBudget.ResolveChild(dagLimits, UsageDelta.None, spec.Limits, null, $"tasks[{i}].limits", errors);
            }
        }
        TaskRules.CheckLimits(request.Limits, "limits", errors);
        if (errors.Count > 0)
        {
            var nodes = errors.Keys.Where(k => k.StartsWith("tasks[", StringComparison.Ordinal))
                .Select(k => specs[int.Parse(k.AsSpan(6, k.IndexOf(']', StringComparison.Ordinal) - 6))].Id!)
                .Distinct(StringComparer.Ordinal).ToList();
            throw new ApexValidationException(DagErrorCodes.InvalidTask, "Some tasks are invalid.", errors, Cap(nodes));
        }
    }

    private static string Names(List<string> names) =>
        string.Join(", ", names.Take(MaxNodesNamed)) + (names.Count > MaxNodesNamed ? $" and {names.Count - MaxNodesNamed} more" : "");

    private static List<string> Cap(List<string> names) => names.Count > 1000 ? names.GetRange(0, 1000) : names;

    /// <summary>True when the DAG's own limits are valid: only then is a task's share of them checked.</summary>
    private static bool DagLimitsValid(Contracts.Tasks.TaskLimits limits)
    {
        var errors = new Dictionary<string, string[]>();
        TaskRules.CheckLimits(limits, "limits", errors);
        return errors.Count == 0;
    }
}
