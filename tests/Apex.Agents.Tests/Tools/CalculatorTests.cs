using Apex.Agents.Tools;
using Xunit;

namespace Apex.Agents.Tests.Tools;

public sealed class CalculatorTests
{
    [Theory]
    [InlineData("1 + 2 * 3", "7")]
    [InlineData("(1 + 2) * 3", "9")]
    [InlineData("10 - 4 - 3", "3")]
    [InlineData("2 ^ 3 ^ 2", "512")]
    [InlineData("-2 ^ 2", "-4")]
    [InlineData("2 ^ -1", "0.5")]
    [InlineData("--3", "3")]
    [InlineData("7 % 3", "1")]
    [InlineData("6 × 7 ÷ 2 − 1", "20")]
    [InlineData("0.1 + 0.2", "0.3")]
    [InlineData("1.5e3 + 2E-1", "1500.2")]
    [InlineData("sqrt(16) + abs(-3)", "7")]
    [InlineData("min(4, 2, 8) * max(1, 5)", "10")]
    [InlineData("round(2.5) + round(3.14159, 2)", "6.14")]
    [InlineData("floor(2.7) + ceil(2.1)", "5")]
    [InlineData("2 * pi", "6.28318530717959")]
    [InlineData("e ^ 1", "2.71828182845905")]
    [InlineData("  ( ( 42 ) )  ", "42")]
    public void Evaluate_ValidExpression_GivesTheValue(string expression, string expected)
    {
        Assert.Equal(expected, Calculator.Format(Calculator.Evaluate(expression)));
    }

    [Theory]
    [InlineData("", "the expression is empty")]
    [InlineData("1 / 0", "division by zero")]
    [InlineData("5 % 0", "remainder of a division by zero")]
    [InlineData("sqrt(-1)", "square root of a negative number")]
    [InlineData("1 +", "the expression ends too early (at position 4)")]
    [InlineData("(1 + 2", "expected ')' at the end (at position 7)")]
    [InlineData("1 2", "unexpected '2' (at position 3)")]
    [InlineData("system(\"rm\")", "unknown name 'system' (at position 1)")]
    [InlineData("sqrt 4", "sqrt needs parentheses (at position 1)")]
    [InlineData("sqrt(1, 2)", "sqrt takes one argument (at position 1)")]
    [InlineData("1.2.3", "'1.2.3' is not a number (at position 1)")]
    [InlineData("10 ^ 400", "a power is not a finite number")]
    [InlineData("1; 2", "unexpected ';' (at position 2)")]
    public void Evaluate_InvalidExpression_ExplainsWhy(string expression, string message)
    {
        var error = Assert.Throws<CalculatorException>(() => Calculator.Evaluate(expression));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Evaluate_TooLongOrTooDeep_IsRefusedWithoutOverflowingTheStack()
    {
        var tooLong = string.Join('+', Enumerable.Repeat("1", 600));
        var tooDeep = new string('(', 200) + "1" + new string(')', 200);
        var manyMinus = new string('-', 500) + "1";

        Assert.Equal("the expression is longer than 1000 characters", Assert.Throws<CalculatorException>(() => Calculator.Evaluate(tooLong)).Message);
        Assert.Equal("the expression nests deeper than 64 levels", Assert.Throws<CalculatorException>(() => Calculator.Evaluate(tooDeep)).Message);
        Assert.Equal("the expression nests deeper than 64 levels", Assert.Throws<CalculatorException>(() => Calculator.Evaluate(manyMinus)).Message);
    }
}
