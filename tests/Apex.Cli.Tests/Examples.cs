using Xunit;

namespace Apex.Cli.Tests;

/// <summary>The files of <c>examples/</c>, copied next to the tests.</summary>
internal static class Examples
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "examples");

    public static FileInfo File(string name) => new(Path.Combine(Directory, name));

    public static TheoryData<string> YamlFiles() => new(System.IO.Directory.GetFiles(Directory, "*.yaml").Select(Path.GetFileName).Order()!);
}
