using System.Globalization;
using Apex.Contracts;
using Apex.Contracts.Usage;

namespace Apex.Client;

public sealed partial class ApexClient
{
    /// <summary>
    /// What LLM calls spent in [<paramref name="from"/>, <paramref name="to"/>), summed by model, agent or DAG, with what
    /// cascade routing decided and saved (<c>GET /api/v1/usage</c>).
    /// </summary>
    /// <param name="groupBy"><c>model</c>, <c>agent</c> or <c>dag</c>.</param>
    /// <param name="from">Start of the window; since the beginning when null.</param>
    /// <param name="to">End of the window; until now when null.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <exception cref="ApexApiException">With 422 for an unknown grouping or an empty window.</exception>
    public Task<UsageReport> GetUsageAsync(string groupBy = "model", DateTimeOffset? from = null, DateTimeOffset? to = null,
        CancellationToken cancellationToken = default) =>
        GetAsync(
            Query("api/v1/usage",
                ("group_by", groupBy),
                ("from", from?.ToString("O", CultureInfo.InvariantCulture)),
                ("to", to?.ToString("O", CultureInfo.InvariantCulture))),
            ApexJsonContext.Default.UsageReport, cancellationToken);
}
