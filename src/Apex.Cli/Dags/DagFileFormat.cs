namespace Apex.Cli.Dags;

/// <summary>The syntax of a DAG file.</summary>
internal enum DagFileFormat
{
    /// <summary>YAML 1.2 (<c>.yaml</c>, <c>.yml</c>).</summary>
    Yaml,

    /// <summary>JSON (<c>.json</c>).</summary>
    Json,
}
