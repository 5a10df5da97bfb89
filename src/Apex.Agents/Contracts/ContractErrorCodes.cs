namespace Apex.Agents.Contracts;

/// <summary>The <c>error.code</c> of a task that broke its contract.</summary>
public static class ContractErrorCodes
{
    /// <summary>The next call could use more tokens than the task or its DAG has left.</summary>
    public const string TokenLimitExceeded = "token_limit_exceeded";

    /// <summary>The next call could cost more than the task or its DAG has left.</summary>
    public const string CostLimitExceeded = "cost_limit_exceeded";

    /// <summary>The task or its DAG has no API call left.</summary>
    public const string ApiCallLimitExceeded = "api_call_limit_exceeded";

    /// <summary>The code of a violation of <paramref name="dimension"/>.</summary>
    public static string Of(ContractDimension dimension) => dimension switch
    {
        ContractDimension.Tokens => TokenLimitExceeded,
        ContractDimension.Cost => CostLimitExceeded,
        ContractDimension.ApiCalls => ApiCallLimitExceeded,
        _ => throw new ArgumentOutOfRangeException(nameof(dimension)),
    };
}
