namespace Apex.Agents.Tools;

/// <summary>An expression the calculator cannot evaluate; the message is shown to the model.</summary>
internal sealed class CalculatorException(string message) : Exception(message);
