using System.Globalization;
using System.Net.Http.Headers;

namespace Apex.Testing;

/// <summary>One sample of a scrape: a metric name, its labels and its value.</summary>
/// <param name="Name">The name as exposed (a histogram's series end in <c>_bucket</c>, <c>_sum</c>, <c>_count</c>).</param>
/// <param name="Labels">The labels.</param>
/// <param name="Value">The value.</param>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A scrape of a Prometheus text exposition (format 0.0.4): its samples and the type each <c># TYPE</c> line declared.
/// Enough of the format for the tests; label values with escaped quotes are unescaped.
/// </summary>
public sealed class PrometheusScrape
{
    private PrometheusScrape(IReadOnlyList<PrometheusSample> samples, IReadOnlyDictionary<string, string> types, string text)
    {
        Samples = samples;
        Types = types;
        Text = text;
    }

    /// <summary>Every sample line.</summary>
    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Declared type by metric family name (<c>counter</c>, <c>gauge</c>, <c>histogram</c>, ...).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>The text as scraped, for failure messages.</summary>
    public string Text { get; }

    /// <summary>The names of the samples.</summary>
    public IReadOnlySet<string> Names => Samples.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The samples named <paramref name="name"/>.</summary>
    public IReadOnlyList<PrometheusSample> Named(string name) => [.. Samples.Where(s => s.Name == name)];

    /// <summary>GETs <paramref name="path"/> asking for the text format, checks it is that, and parses it.</summary>
    public static async Task<PrometheusScrape> GetAsync(HttpClient client, string path = "/metrics", CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/plain"));
        using var response = await client.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != "text/plain")
        {
            throw new InvalidOperationException(
                $"GET {path}: {(int)response.StatusCode} {response.Content.Headers.ContentType}, not a Prometheus text exposition:\n{text}");
        }
        return Parse(text);
    }

    /// <summary>Parses an exposition.</summary>
    public static PrometheusScrape Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
            {
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                types[parts[2]] = parts[3];
                continue;
            }
            if (line[0] == '#')
            {
                continue;
            }
            samples.Add(ParseSample(line));
        }
        return new PrometheusScrape(samples, types, text);
    }

    private static PrometheusSample ParseSample(string line)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var brace = line.IndexOf('{', StringComparison.Ordinal);
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        string name;
        int rest;
        if (brace >= 0 && (space < 0 || brace < space))
        {
            name = line[..brace];
            var i = brace + 1;
            while (line[i] != '}')
            {
                var equals = line.IndexOf('=', i);
                var key = line[i..equals].Trim();
                var value = new System.Text.StringBuilder();
                var j = equals + 2; // past ="
                while (line[j] != '"')
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] == 'n' ? '\n' : line[j]);
                    }
                    else
                    {
                        value.Append(line[j]);
                    }
                    j++;
                }
                labels[key] = value.ToString();
                i = j + 1;
                if (line[i] == ',')
                {
                    i++;
                }
            }
            rest = i + 1;
        }
        else
        {
            name = line[..space];
            rest = space;
        }
        var fields = line[rest..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var number = fields[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, number);
    }
}
