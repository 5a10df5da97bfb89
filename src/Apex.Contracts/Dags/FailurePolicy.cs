using System.Text.Json.Serialization;
using Apex.Contracts.Common;

namespace Apex.Contracts.Dags;

/// <summary>What a DAG does when one of its tasks fails.</summary>
[JsonConverter(typeof(SnakeCaseEnumConverter<FailurePolicy>))]
public enum FailurePolicy
{
    /// <summary>Skip every task not yet started, cancel running siblings, fail the DAG.</summary>
    FailFast,
    /// <summary>Skip only the failed task's descendants; other branches run to the end.</summary>
    Continue,
}
