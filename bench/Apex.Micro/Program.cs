using BenchmarkDotNet.Running;

namespace Apex.Micro;

// A class in a namespace, not top-level statements: Apex.Server's Program (visible here through InternalsVisibleTo)
// would clash with a global one.
internal static class Program
{
    public static int Main(string[] args)
    {
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        // A benchmark that threw is reported as a row without figures: fail the run so CI sees it.
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
