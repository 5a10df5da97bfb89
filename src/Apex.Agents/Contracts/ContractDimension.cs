namespace Apex.Agents.Contracts;

/// <summary>A metered dimension of a contract; the time limit is enforced by the engine, not by the meter.</summary>
public enum ContractDimension
{
    /// <summary>Input plus output tokens.</summary>
    Tokens,

    /// <summary>Spend in US dollars.</summary>
    Cost,

    /// <summary>LLM API calls.</summary>
    ApiCalls,
}
