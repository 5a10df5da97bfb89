namespace Apex.Cli;

/// <summary>Process exit codes of <c>apex</c>, relied on by scripts and CI.</summary>
internal static class ExitCodes
{
    /// <summary>The command did what was asked; for <c>run</c> and <c>watch</c>, the DAG succeeded.</summary>
    public const int Success = 0;

    /// <summary>The DAG failed or was cancelled, or the server could not be reached or refused the request.</summary>
    public const int Failed = 1;

    /// <summary>The input is invalid: a bad DAG file, a DAG the validator rejects, or bad arguments.</summary>
    public const int InvalidInput = 2;
}
