namespace Apex.Cli.Dags;

/// <summary>Field paths as users write them in messages: <c>tasks[2].limits.token_limit</c>.</summary>
internal static class FieldPath
{
    public static string Member(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";

    public static string Index(string parent, int index) => $"{parent}[{index}]";
}
