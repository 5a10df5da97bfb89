namespace Apex.Cli.Dags;

/// <summary>A DAG file could not be read or does not describe a DAG. The message names the file and each problem.</summary>
internal sealed class DagFileException(string source, IReadOnlyList<string> problems, Exception? inner = null)
    : Exception(Describe(source, problems), inner)
{
    /// <summary>The file, as the user named it.</summary>
    public string FileName { get; } = source;

    /// <summary>Each problem, with its position (<c>line 4, column 7</c>) or field path where known.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;

    public DagFileException(string source, string problem, Exception? inner = null)
        : this(source, [problem], inner)
    {
    }

    private static string Describe(string source, IReadOnlyList<string> problems) => problems.Count == 1
        ? $"{source}: {problems[0]}"
        : $"{source}: {problems.Count} problems:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", problems);
}
