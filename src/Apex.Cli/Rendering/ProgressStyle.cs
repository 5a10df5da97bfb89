using System.Globalization;
using System.Text.Json;
using Apex.Contracts.Dags;
using Apex.Contracts.Tasks;

namespace Apex.Cli.Rendering;

/// <summary>How statuses, durations and numbers read on screen.</summary>
internal static class ProgressStyle
{
    public static string Name(TaskState status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    public static string Name(DagState status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());

    public static string Color(TaskState status) => status switch
    {
        TaskState.Pending => "grey",
        TaskState.Queued => "blue",
        TaskState.Running => "yellow",
        TaskState.AwaitingApproval => "magenta",
        TaskState.Succeeded => "green",
        TaskState.Failed => "red",
        _ => "grey50",
    };

    public static string Color(DagState status) => status switch
    {
        DagState.Pending => "grey",
        DagState.Running => "yellow",
        DagState.Succeeded => "green",
        DagState.Failed => "red",
        _ => "grey50",
    };

    public static string Duration(TimeSpan? duration) => duration switch
    {
        null => "",
        { TotalSeconds: < 0 } => "0.0s",
        { TotalSeconds: < 60 } d => d.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s",
        { TotalHours: < 1 } d => $"{(int)d.TotalMinutes}m{d.Seconds:00}s",
        { } d => $"{(int)d.TotalHours}h{d.Minutes:00}m",
    };

    public static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Cost(decimal usd) => "$" + usd.ToString(usd < 1 ? "0.0000" : "0.00", CultureInfo.InvariantCulture);
}
