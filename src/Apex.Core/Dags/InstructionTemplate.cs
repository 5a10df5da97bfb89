using System.Text.RegularExpressions;

namespace Apex.Core.Dags;

/// <summary>The <c>{{tasks.&lt;key&gt;.output}}</c> references of an instruction.</summary>
public static partial class InstructionTemplate
{
    /// <summary>The distinct task keys an instruction references, in order of first appearance.</summary>
    public static IReadOnlyList<string> References(string instruction)
    {
        if (!instruction.Contains("{{", StringComparison.Ordinal))
        {
            return [];
        }
        var keys = new List<string>();
        foreach (Match match in Reference().Matches(instruction))
        {
            var key = match.Groups["key"].Value;
            if (!keys.Contains(key))
            {
                keys.Add(key);
            }
        }
        return keys;
    }

    /// <summary>Replaces every reference with the output of the referenced task.</summary>
    /// <param name="instruction">The template.</param>
    /// <param name="outputOf">Output by task key; a key it does not know is left as written.</param>
    public static string Render(string instruction, Func<string, string?> outputOf)
    {
        if (!instruction.Contains("{{", StringComparison.Ordinal))
        {
            return instruction;
        }
        return Reference().Replace(instruction, match => outputOf(match.Groups["key"].Value) ?? match.Value);
    }

    [GeneratedRegex(@"\{\{\s*tasks\.(?<key>[A-Za-z0-9_.-]{1,128})\.output\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
