using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;

namespace Latch.Server.Graph.OData;

/// <summary>
/// Turns a $filter into one <c>Expression&lt;Func&lt;T, bool&gt;&gt;</c> built from the model's registered property
/// expressions, so EF Core translates it to SQL. Grammar, loosest first:
/// <c>or := and ('or' and)*; and := unary ('and' unary)*; unary := 'not' unary | '(' or ')' | predicate</c>.
/// </summary>
internal static class FilterParser
{
    public const int MaxLength = 4096;
    public const int MaxDepth = 32;

    private static readonly string[] Comparisons = ["eq", "ne", "gt", "ge", "lt", "le"];
    private static readonly string[] UnsupportedOperators = ["has", "in", "add", "sub", "mul", "div", "divby", "mod"];
    private static readonly string[] Keywords = [.. Comparisons, .. UnsupportedOperators, "and", "or", "not", "true", "false", "null"];
    private static readonly MethodInfo StartsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string)])!;

    public static bool IsKeyword(string word) => Keywords.Contains(word, StringComparer.OrdinalIgnoreCase);

    public static Expression<Func<T, bool>> Parse<T>(string filter, ODataModel<T> model)
    {
        if (string.IsNullOrWhiteSpace(filter)) throw new ODataQueryException("The $filter query option is empty.");
        if (filter.Length > MaxLength)
            throw new ODataQueryException($"The $filter is {filter.Length} characters long; the limit is {MaxLength}.");
        return new Parser<T>(FilterLexer.Tokenize(filter), model).Run();
    }

    private static bool Is(FilterToken token, string word) =>
        token.Kind == TokenKind.Word && string.Equals(token.Text, word, StringComparison.OrdinalIgnoreCase);

    private static bool IsAny(FilterToken token, string[] words) =>
        token.Kind == TokenKind.Word && words.Contains(token.Text, StringComparer.OrdinalIgnoreCase);

    private static ODataQueryException Error(string message) => new(message);

    private static ODataQueryException Unexpected(FilterToken found, string expected) =>
        Error($"Expected {expected} at position {found.Position} of $filter, found {found.Describe()}.");

    // Read through a member, as a C# closure is, so EF Core sends a SQL parameter rather than a new literal (and a new cached query) per value.
    private static MemberExpression Captured<TValue>(TValue value) =>
        Expression.Property(Expression.Constant(new Box<TValue>(value)), nameof(Box<TValue>.Value));

    private sealed class Box<TValue>(TValue value)
    {
        public TValue Value { get; } = value;
    }

    private sealed class Parser<T>(List<FilterToken> tokens, ODataModel<T> model)
    {
        private readonly ParameterExpression _entity = Expression.Parameter(typeof(T), "entity");
        private int _next;
        private int _depth;

        private FilterToken Peek => tokens[_next];

        // The End token is never passed, so reading past it keeps answering End.
        private FilterToken Take() => Peek.Kind == TokenKind.End ? Peek : tokens[_next++];

        public Expression<Func<T, bool>> Run()
        {
            var body = ParseOr();
            if (Peek.Kind != TokenKind.End)
                throw Unexpected(Peek, "'and', 'or' or the end of the filter");
            return Expression.Lambda<Func<T, bool>>(body, _entity);
        }

        private Expression ParseOr()
        {
            var left = ParseAnd();
            while (Is(Peek, "or"))
            {
                Take();
                left = Expression.OrElse(left, ParseAnd());
            }
            return left;
        }

        private Expression ParseAnd()
        {
            var left = ParseUnary();
            while (Is(Peek, "and"))
            {
                Take();
                left = Expression.AndAlso(left, ParseUnary());
            }
            return left;
        }

        private Expression ParseUnary()
        {
            if (Is(Peek, "not"))
            {
                Enter(Take());
                var operand = Expression.Not(ParseUnary());
                _depth--;
                return operand;
            }
            if (Peek.Kind == TokenKind.Open)
            {
                var open = Take();
                Enter(open);
                var inner = ParseOr();
                if (Peek.Kind != TokenKind.Close)
                    throw Unexpected(Peek, $"')' (to match the '(' at position {open.Position})");
                Take();
                _depth--;
                return inner;
            }
            return ParsePredicate();
        }

        // Each '(' and 'not' is a level; the limit keeps recursion (here and in EF Core's visitors) shallow.
        private void Enter(FilterToken token)
        {
            if (++_depth > MaxDepth)
                throw Error($"The $filter is nested more than {MaxDepth} levels deep (at position {token.Position}).");
        }

        private Expression ParsePredicate()
        {
            var word = Take();
            if (word.Kind != TokenKind.Word || IsKeyword(word.Text)) throw Unexpected(word, "a condition");
            if (Peek.Kind == TokenKind.Open) return ParseFunction(word);

            var property = Property(word);
            var op = Peek;
            if (IsAny(op, Comparisons))
            {
                Take();
                return Compare(property, op.Text.ToLowerInvariant(), Take());
            }
            if (IsAny(op, UnsupportedOperators)) throw UnsupportedOperator(op);
            // A Boolean property is a condition on its own: $filter=isSupervised.
            if (property.Type == PropertyType.Boolean) return Body(property);
            throw Unexpected(op, $"an operator (eq, ne{(property.Type == PropertyType.DateTimeOffset ? ", gt, ge, lt, le" : "")}) after '{word.Text}'");
        }

        private BinaryExpression ParseFunction(FilterToken name)
        {
            if (!string.Equals(name.Text, "startswith", StringComparison.OrdinalIgnoreCase))
                throw Error($"The function '{name.Text}' is not supported; use startswith.");
            Take();
            var argument = Take();
            if (argument.Kind != TokenKind.Word) throw Unexpected(argument, "a property name as the first argument of startswith");
            var property = Property(argument);
            if (property.Type != PropertyType.String)
                throw Error($"startswith needs a String property; {property.Name} is a {property.Type}.");
            if (Peek.Kind != TokenKind.Comma) throw Unexpected(Peek, $"',' after '{property.Name}' in startswith");
            Take();
            var prefix = Take();
            if (prefix.Kind != TokenKind.String)
                throw Error($"startswith needs a quoted string as its second argument, like startswith({property.Name},'abc'); found {prefix.Describe()} at position {prefix.Position}.");
            if (Peek.Kind != TokenKind.Close) throw Unexpected(Peek, "')' to close startswith");
            Take();

            var value = Body(property);
            // The null check keeps the same meaning in memory as in SQL, where NULL LIKE 'x%' is never true.
            return Expression.AndAlso(
                Expression.NotEqual(value, Expression.Constant(null, typeof(string))),
                Expression.Call(value, StartsWith, Captured(prefix.Text)));
        }

        private BinaryExpression Compare(FilterProperty property, string op, FilterToken literal)
        {
            var ordering = op is not ("eq" or "ne");
            switch (property.Type)
            {
                case PropertyType.String when ordering:
                    throw Error($"{property.Name} is a String; it supports eq, ne and startswith({property.Name},'...'), not {op}.");
                case PropertyType.Boolean or PropertyType.Guid when ordering:
                    throw Error($"{property.Name} is a {property.Type}; it supports eq and ne, not {op}.");
            }
            if (literal.Kind is not (TokenKind.Word or TokenKind.String)) throw Unexpected(literal, $"a value after '{op}'");

            var body = Body(property);
            Expression value;
            if (literal.Kind == TokenKind.Word && Is(literal, "null"))
            {
                if (property.Type == PropertyType.Boolean)
                    throw Error($"{property.Name} is a Boolean; compare it with true or false.");
                if (ordering) throw Error($"Only eq and ne can compare {property.Name} with null.");
                value = Expression.Constant(null, body.Type);
            }
            else
            {
                value = property.Type switch
                {
                    PropertyType.String => StringValue(property, literal),
                    PropertyType.Boolean => BooleanValue(property, literal),
                    PropertyType.DateTimeOffset => DateTimeValue(property, literal),
                    _ => GuidValue(property, literal),
                };
            }

            var kind = op switch
            {
                "eq" => ExpressionType.Equal,
                "ne" => ExpressionType.NotEqual,
                "gt" => ExpressionType.GreaterThan,
                "ge" => ExpressionType.GreaterThanOrEqual,
                "lt" => ExpressionType.LessThan,
                _ => ExpressionType.LessThanOrEqual,
            };
            return Expression.MakeBinary(kind, body, value);
        }

        private static MemberExpression StringValue(FilterProperty property, FilterToken literal) =>
            literal.Kind == TokenKind.String
                ? Captured(literal.Text)
                : throw Error($"{property.Name} is a String; compare it with a quoted string like '{literal.Text}' or with null.");

        private static ConstantExpression BooleanValue(FilterProperty property, FilterToken literal) =>
            Is(literal, "true") ? Expression.Constant(true)
            : Is(literal, "false") ? Expression.Constant(false)
            : throw Error($"{property.Name} is a Boolean; compare it with true or false.");

        private static MemberExpression DateTimeValue(FilterProperty property, FilterToken literal)
        {
            if (literal.Kind == TokenKind.String)
                throw Error($"{property.Name} is a DateTimeOffset; write the date-time without quotes, like 2026-11-27T09:00:00Z.");
            var text = literal.Text;
            // Only ISO 8601 (yyyy-MM-dd...), not whatever else DateTimeOffset.Parse would accept.
            var iso = text.Length >= 10 && char.IsAsciiDigit(text[0]) && text[4] == '-' && text[7] == '-';
            if (!iso || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                throw Error($"{property.Name} is a DateTimeOffset; compare it with a date-time like 2026-11-27T09:00:00Z or with null, not {literal.Describe()}.");
            return Captured<DateTimeOffset?>(parsed.ToUniversalTime());
        }

        private static MemberExpression GuidValue(FilterProperty property, FilterToken literal) =>
            Guid.TryParseExact(literal.Text, "D", out var parsed)
                ? Captured<Guid?>(parsed)
                : throw Error($"{property.Name} is a Guid; '{literal.Text}' is not a GUID (like 0f8fad5b-d9cb-469f-a165-70867728950e).");

        private FilterProperty Property(FilterToken word)
        {
            if (model.Filterable(word.Text) is { } property) return property;
            var names = model.FilterableNames.ToList();
            var near = names.Find(n => string.Equals(n, word.Text, StringComparison.OrdinalIgnoreCase));
            throw Error($"'{word.Text}' is not a property that can be filtered. Filterable properties: {string.Join(", ", names)}."
                + (near is null ? "" : $" Names are case-sensitive: did you mean '{near}'?"));
        }

        private static ODataQueryException UnsupportedOperator(FilterToken op) => Error(
            string.Equals(op.Text, "in", StringComparison.OrdinalIgnoreCase)
                ? $"The operator 'in' is not supported; combine eq comparisons with or instead."
                : $"The operator '{op.Text}' is not supported. Supported: eq, ne, gt, ge, lt, le, and, or, not, startswith().");

        // The registered lambda's body, re-pointed at this filter's single parameter.
        private Expression Body(FilterProperty property) =>
            new ParameterRebinder(property.Value.Parameters[0], _entity).Visit(property.Value.Body);
    }

    private sealed class ParameterRebinder(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
