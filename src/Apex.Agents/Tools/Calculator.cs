using System.Globalization;

namespace Apex.Agents.Tools;

/// <summary>
/// Evaluates arithmetic by recursive descent, never by handing text to an interpreter: numbers, + − × ÷ (also
/// <c>* /</c>), <c>%</c> (remainder), right-associative <c>^</c>, parentheses, unary minus, <c>pi</c>, <c>e</c> and
/// <c>sqrt abs min max round floor ceil</c>. Unary minus binds looser than <c>^</c>: <c>-2^2</c> is −4.
/// </summary>
internal sealed class Calculator
{
    public const int MaxLength = 1000;
    private const int MaxDepth = 64;

    private readonly string _text;
    private int _position;
    private int _depth;

    private Calculator(string text) => _text = text;

    /// <summary>The value of <paramref name="expression"/>.</summary>
    /// <exception cref="CalculatorException">The expression is malformed, too long, or its value is not a finite number.</exception>
    public static double Evaluate(string expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            throw new CalculatorException("the expression is empty");
        }
        if (expression.Length > MaxLength)
        {
            throw new CalculatorException($"the expression is longer than {MaxLength} characters");
        }
        var calculator = new Calculator(expression);
        var value = calculator.Sum();
        calculator.SkipSpaces();
        if (calculator._position < expression.Length)
        {
            throw calculator.Error($"unexpected '{expression[calculator._position]}'");
        }
        return Finite(value, "the result");
    }

    /// <summary>The value formatted for a model: up to 15 significant digits, so 0.1 + 0.2 reads 0.3.</summary>
    public static string Format(double value) => value.ToString("G15", CultureInfo.InvariantCulture);

    private double Sum()
    {
        var value = Product();
        while (true)
        {
            if (Accept('+'))
            {
                value += Product();
            }
            else if (Accept('-') || Accept('−'))
            {
                value -= Product();
            }
            else
            {
                return value;
            }
        }
    }

    private double Product()
    {
        var value = Unary();
        while (true)
        {
            if (Accept('*') || Accept('×'))
            {
                value *= Unary();
            }
            else if (Accept('/') || Accept('÷'))
            {
                var divisor = Unary();
                value = divisor == 0 ? throw new CalculatorException("division by zero") : value / divisor;
            }
            else if (Accept('%'))
            {
                var divisor = Unary();
                value = divisor == 0 ? throw new CalculatorException("remainder of a division by zero") : value % divisor;
            }
            else
            {
                return value;
            }
        }
    }

    private double Unary()
    {
        if (Accept('-') || Accept('−'))
        {
            return -Nested(Unary);
        }
        return Accept('+') ? Nested(Unary) : Power();
    }

    private double Power()
    {
        var value = Primary();
        return Accept('^') ? Finite(Math.Pow(value, Nested(Unary)), "a power") : value;
    }

    private double Primary()
    {
        SkipSpaces();
        if (_position >= _text.Length)
        {
            throw Error("the expression ends too early");
        }
        var c = _text[_position];
        if (Accept('('))
        {
            var value = Nested(Sum);
            Expect(')');
            return value;
        }
        if (char.IsAsciiDigit(c) || c == '.')
        {
            return Number();
        }
        if (char.IsAsciiLetter(c))
        {
            return Name();
        }
        throw Error($"unexpected '{c}'");
    }

    private double Number()
    {
        var start = _position;
        while (_position < _text.Length && (char.IsAsciiDigit(_text[_position]) || _text[_position] == '.'))
        {
            _position++;
        }
        if (_position < _text.Length && _text[_position] is 'e' or 'E'
            && _position + 1 < _text.Length && (char.IsAsciiDigit(_text[_position + 1]) || (_text[_position + 1] is '+' or '-' && _position + 2 < _text.Length && char.IsAsciiDigit(_text[_position + 2]))))
        {
            _position += 2;
            while (_position < _text.Length && char.IsAsciiDigit(_text[_position]))
            {
                _position++;
            }
        }
        var token = _text.AsSpan(start, _position - start);
        return double.TryParse(token, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out var value)
            ? Finite(value, "a number")
            : throw Error($"'{token}' is not a number", start);
    }

    private double Name()
    {
        var start = _position;
        while (_position < _text.Length && char.IsAsciiLetterOrDigit(_text[_position]))
        {
            _position++;
        }
        var name = _text[start.._position].ToLowerInvariant();
        switch (name)
        {
            case "pi":
                return Math.PI;
            case "e":
                return Math.E;
        }
        if (name is not ("sqrt" or "abs" or "floor" or "ceil" or "round" or "min" or "max"))
        {
            throw Error($"unknown name '{name}'", start);
        }
        var arguments = Arguments(name, start);
        return name switch
        {
            "sqrt" when arguments.Count == 1 => arguments[0] < 0 ? throw new CalculatorException("square root of a negative number") : Math.Sqrt(arguments[0]),
            "abs" when arguments.Count == 1 => Math.Abs(arguments[0]),
            "floor" when arguments.Count == 1 => Math.Floor(arguments[0]),
            "ceil" when arguments.Count == 1 => Math.Ceiling(arguments[0]),
            "round" when arguments.Count == 1 => Math.Round(arguments[0], MidpointRounding.AwayFromZero),
            "round" when arguments.Count == 2 && arguments[1] is >= 0 and <= 15 && arguments[1] == Math.Floor(arguments[1])
                => Math.Round(arguments[0], (int)arguments[1], MidpointRounding.AwayFromZero),
            "min" when arguments.Count >= 1 => arguments.Min(),
            "max" when arguments.Count >= 1 => arguments.Max(),
            "sqrt" or "abs" or "floor" or "ceil" => throw Error($"{name} takes one argument", start),
            "round" => throw Error("round takes a value and optionally 0–15 decimal places", start),
            _ => throw Error($"{name} takes at least one argument", start),
        };
    }

    private List<double> Arguments(string name, int start)
    {
        if (!Accept('('))
        {
            throw Error($"{name} needs parentheses", start);
        }
        List<double> arguments = [];
        if (Accept(')'))
        {
            return arguments;
        }
        do
        {
            arguments.Add(Nested(Sum));
        }
        while (Accept(','));
        Expect(')');
        return arguments;
    }

    private double Nested(Func<double> parse)
    {
        if (++_depth > MaxDepth)
        {
            throw new CalculatorException($"the expression nests deeper than {MaxDepth} levels");
        }
        var value = parse();
        _depth--;
        return value;
    }

    private bool Accept(char c)
    {
        SkipSpaces();
        if (_position < _text.Length && _text[_position] == c)
        {
            _position++;
            return true;
        }
        return false;
    }

    private void Expect(char c)
    {
        if (!Accept(c))
        {
            throw Error(_position < _text.Length ? $"expected '{c}' but found '{_text[_position]}'" : $"expected '{c}' at the end");
        }
    }

    private void SkipSpaces()
    {
        while (_position < _text.Length && char.IsWhiteSpace(_text[_position]))
        {
            _position++;
        }
    }

    private CalculatorException Error(string message, int? at = null) =>
        new($"{message} (at position {(at ?? _position) + 1})");

    private static double Finite(double value, string what) =>
        double.IsFinite(value) ? value : throw new CalculatorException($"{what} is not a finite number");
}
