namespace Apex.Agents.Pricing;

/// <summary>Price per million tokens of each model (configuration section <c>Apex:Pricing</c>).</summary>
public sealed class PricingOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:Pricing";

    /// <summary>Prices by model id. A model that is not listed costs nothing and is logged once.</summary>
    public Dictionary<string, ModelPrice> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        // The Simulated model is priced like a small hosted model so cost accounting is exercised end to end.
        ["simulated"] = new() { InputPerMillion = 0.15m, OutputPerMillion = 0.60m },
        ["gpt-4o-mini"] = new() { InputPerMillion = 0.15m, OutputPerMillion = 0.60m },
        ["gpt-4o"] = new() { InputPerMillion = 2.50m, OutputPerMillion = 10.00m },
        ["claude-3-5-haiku-latest"] = new() { InputPerMillion = 0.80m, OutputPerMillion = 4.00m },
        ["claude-sonnet-4-0"] = new() { InputPerMillion = 3.00m, OutputPerMillion = 15.00m },
    };

    /// <summary>Cost of a call, rounded to 1e-9 dollars so sums stay exact.</summary>
    public decimal CostOf(string model, long inputTokens, long outputTokens) =>
        Models.TryGetValue(model, out var price)
            ? Math.Round(((inputTokens * price.InputPerMillion) + (outputTokens * price.OutputPerMillion)) / 1_000_000m, 9)
            : 0m;
}

/// <summary>US dollars per million tokens.</summary>
public sealed class ModelPrice
{
    /// <summary>Prompt tokens.</summary>
    public decimal InputPerMillion { get; set; }

    /// <summary>Completion tokens.</summary>
    public decimal OutputPerMillion { get; set; }
}
