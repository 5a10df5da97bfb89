namespace Apex.Cli.Dags;

/// <summary>A 1-based line and column in a DAG file.</summary>
internal readonly record struct SourcePosition(long Line, long Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}
