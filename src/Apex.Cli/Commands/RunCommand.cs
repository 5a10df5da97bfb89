using System.CommandLine;
using Apex.Cli.Dags;
using Apex.Cli.Rendering;
using Apex.Contracts.Dags;
using Apex.Core;
using Apex.Core.Errors;
using Apex.Core.Events;
using Apex.Core.Storage;
using Apex.Engine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Spectre.Console;

namespace Apex.Cli.Commands;

/// <summary>
/// <c>apex run &lt;file&gt;</c>: runs a DAG in this process on the embedded engine (SQLite store, in-process workers),
/// with no server. The database lives in a temporary directory that is deleted afterwards unless <c>--data</c> is given.
/// </summary>
internal static class RunCommand
{
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(CliConsole console)
    {
        var file = new Argument<FileInfo>("file") { Description = "The DAG file: YAML (.yaml, .yml) or JSON (.json)." };
        var data = new Option<DirectoryInfo?>("--data")
        {
            Description = "Keep the SQLite database (apex.db) in this directory instead of a temporary one.",
            HelpName = "dir",
        };
        var settings = new Option<string[]>("--set")
        {
            Description = "A configuration value, such as Apex:Simulated:LatencyMs=0 (repeatable).",
            HelpName = "key=value",
            AllowMultipleArgumentsPerToken = false,
        };
        var outputChars = new Option<int>("--output-chars")
        {
            Description = "Characters of each task's output to print at the end (0: none).",
            HelpName = "n",
            DefaultValueFactory = _ => 400,
        };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Write the engine's logs to stderr." };
        var command = new Command("run", "Run a DAG file in this process on the embedded engine, with no server; exits 0 iff the DAG succeeded.")
        {
            file, data, settings, outputChars, verbose,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(console, new RunArguments(
            parse.GetValue(file)!, parse.GetValue(data), parse.GetValue(settings) ?? [], Math.Max(0, parse.GetValue(outputChars)), parse.GetValue(verbose)),
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliConsole console, RunArguments arguments, CancellationToken cancellationToken)
    {
        CreateDagRequest request;
        Dictionary<string, string?> configuration;
        try
        {
            request = await DagFileLoader.LoadAsync(arguments.File, cancellationToken);
            configuration = ParseSettings(arguments.Settings);
        }
        catch (DagFileException e)
        {
            CliErrors.Write(console, e.Message);
            return ExitCodes.InvalidInput;
        }
        catch (FormatException e)
        {
            CliErrors.Write(console, e.Message);
            return ExitCodes.InvalidInput;
        }

        var keep = arguments.Data is not null;
        var directory = arguments.Data?.FullName ?? Path.Combine(Path.GetTempPath(), $"apex-run-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        var databasePath = Path.Combine(directory, "apex.db");
        try
        {
            using var host = BuildHost(directory, databasePath, keep, configuration, arguments.Verbose);
            try
            {
                await host.StartAsync(cancellationToken);
                return await ExecuteAsync(console, host.Services, request, arguments.OutputChars, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                CliErrors.Write(console, "interrupted.");
                return ExitCodes.Failed;
            }
            finally
            {
                using var shutdown = new CancellationTokenSource(ShutdownTimeout);
                await host.StopAsync(shutdown.Token);
            }
        }
        finally
        {
            if (keep)
            {
                console.Out.MarkupLine($"[grey]Database kept in {Markup.Escape(databasePath)}[/]");
            }
            else
            {
                DeleteDirectory(directory);
            }
        }
    }

    private static IHost BuildHost(string directory, string databasePath, bool keep, Dictionary<string, string?> settings, bool verbose)
    {
        // No defaults: no appsettings.json from wherever the user stands, no console logs over the live table.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = directory,
            ApplicationName = "apex",
            DisableDefaults = true,
        });
        builder.Configuration.AddEnvironmentVariables();
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Apex:Sqlite:Path"] = databasePath,
        };
        if (!keep)
        {
            // A throwaway database need not survive power loss; a process crash is survived still.
            values["Apex:Sqlite:Synchronous"] = "NORMAL";
        }
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(values);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        if (verbose)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        builder.Services.AddApexSqlite(builder.Configuration);
        builder.Services.AddApexEngine(builder.Configuration);
        return builder.Build();
    }

    private static async Task<int> ExecuteAsync(CliConsole console, IServiceProvider services, CreateDagRequest request, int outputChars, CancellationToken cancellationToken)
    {
        var engine = services.GetRequiredService<ApexEngine>();
        var store = services.GetRequiredService<IApexStore>();
        var bus = services.GetRequiredService<IEventBus>();

        // Subscribe before submitting so that no event of the DAG is missed; only this DAG runs in this process.
        using var subscription = bus.Subscribe(_ => true, capacity: Math.Max(4_096, (request.Tasks?.Count ?? 0) * 16));
        DagSubmission submission;
        try
        {
            submission = await engine.SubmitDagAsync(Tenancy.DefaultTenant, request, idempotencyKey: null, requestHash: null, cancellationToken);
        }
        catch (ApexValidationException e)
        {
            CliErrors.Write(console, e.Code, e.Message, e.Errors, e.Nodes);
            return ExitCodes.InvalidInput;
        }
        catch (ApexException e)
        {
            CliErrors.Write(console, e.Code, e.Message, new Dictionary<string, string[]>(), []);
            return ExitCodes.Failed;
        }

        var follower = new EmbeddedDagFollower(engine, store, subscription, submission, TimeProvider.System);
        var (progress, elapsed) = await ProgressBoard.RunAsync(console, TimeProvider.System, board => follower.FollowAsync(board, cancellationToken));
        if (!console.Live)
        {
            ProgressBoard.Write(console, progress, elapsed, DateTimeOffset.UtcNow);
        }
        await WriteOutputsAsync(console, store, progress, outputChars);
        Summary.Write(console, progress, elapsed);
        return progress.Status == DagState.Succeeded ? ExitCodes.Success : ExitCodes.Failed;
    }

    private static async Task WriteOutputsAsync(CliConsole console, IApexStore store, DagProgress progress, int outputChars)
    {
        if (outputChars == 0)
        {
            return;
        }
        foreach (var task in progress.Tasks)
        {
            var record = await store.GetTaskAsync(Tenancy.DefaultTenant, task.Id);
            if (record is null)
            {
                continue;
            }
            var color = ProgressStyle.Color(record.Status);
            console.Out.Write(new Rule($"[bold]{Markup.Escape(task.Key)}[/] [{color}]{ProgressStyle.Name(record.Status)}[/]").LeftJustified());
            if (record.Output is { } output)
            {
                console.Out.WriteLine(Truncate(output, outputChars));
            }
            else if (record.ErrorCode is { } code)
            {
                console.Out.MarkupLine($"[{color}]{Markup.Escape(code)}[/]: {Markup.Escape(record.ErrorMessage ?? "")}");
            }
        }
    }

    /// <summary>At most about <paramref name="chars"/> characters; a little over is shown rather than cut.</summary>
    private static string Truncate(string output, int chars) =>
        output.Length <= chars + (chars / 4) ? output : output[..chars] + $"… ({output.Length - chars:N0} more characters)";

    /// <summary><c>key=value</c> pairs; <c>Apex__Simulated__LatencyMs</c> (the environment variable form) is accepted too.</summary>
    private static Dictionary<string, string?> ParseSettings(IEnumerable<string> settings)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var setting in settings)
        {
            var equals = setting.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"--set '{setting}': expected key=value, such as Apex:Simulated:LatencyMs=0.");
            }
            values[setting[..equals].Trim().Replace("__", ":", StringComparison.Ordinal)] = setting[(equals + 1)..];
        }
        return values;
    }

    private static void DeleteDirectory(string directory)
    {
        // Pooled connections keep the database file open.
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary directory is harmless; the run's result stands.
        }
    }

    private sealed record RunArguments(FileInfo File, DirectoryInfo? Data, string[] Settings, int OutputChars, bool Verbose);
}
