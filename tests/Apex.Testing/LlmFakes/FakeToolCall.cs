namespace Apex.Testing.LlmFakes;

/// <summary>A function call a fake model makes: its id, the function's name and its arguments as a JSON object.</summary>
public sealed record FakeToolCall(string Id, string Name, string ArgumentsJson);
