namespace Latch.Server.Graph.OData;

internal enum TokenKind { Word, String, Open, Close, Comma, End }

/// <summary>One token of a $filter; <see cref="Position"/> is 1-based, <see cref="Text"/> of a string is unescaped.</summary>
internal readonly record struct FilterToken(TokenKind Kind, string Text, int Position)
{
    public string Describe() => Kind switch
    {
        TokenKind.End => "the end of the filter",
        TokenKind.String => $"the string '{Text.Replace("'", "''", StringComparison.Ordinal)}'",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits a $filter into words, quoted strings and punctuation. A word is any run up to whitespace, a parenthesis,
/// a comma or a quote, so bare GUIDs and date-times (2026-11-27T09:00:00Z) stay whole; the parser decides what it is.
/// </summary>
internal static class FilterLexer
{
    public static List<FilterToken> Tokenize(string filter)
    {
        var tokens = new List<FilterToken>();
        var i = 0;
        while (true)
        {
            while (i < filter.Length && char.IsWhiteSpace(filter[i])) i++;
            if (i == filter.Length)
            {
                tokens.Add(new FilterToken(TokenKind.End, "", i + 1));
                return tokens;
            }

            var start = i;
            switch (filter[i])
            {
                case '(': tokens.Add(new FilterToken(TokenKind.Open, "(", start + 1)); i++; break;
                case ')': tokens.Add(new FilterToken(TokenKind.Close, ")", start + 1)); i++; break;
                case ',': tokens.Add(new FilterToken(TokenKind.Comma, ",", start + 1)); i++; break;
                case '\'': tokens.Add(ReadString(filter, ref i)); break;
                default:
                    while (i < filter.Length && !char.IsWhiteSpace(filter[i]) && filter[i] is not ('(' or ')' or ',' or '\'')) i++;
                    tokens.Add(new FilterToken(TokenKind.Word, filter[start..i], start + 1));
                    break;
            }
        }
    }

    // OData escapes a quote inside a string by doubling it: 'O''Brien'.
    private static FilterToken ReadString(string filter, ref int i)
    {
        var start = i++;
        var text = new System.Text.StringBuilder();
        while (i < filter.Length)
        {
            if (filter[i] == '\'')
            {
                if (i + 1 < filter.Length && filter[i + 1] == '\'')
                {
                    text.Append('\'');
                    i += 2;
                    continue;
                }
                i++;
                return new FilterToken(TokenKind.String, text.ToString(), start + 1);
            }
            text.Append(filter[i++]);
        }
        throw new ODataQueryException(
            $"The string starting at position {start + 1} of $filter is not terminated; end it with ' (write '' for a quote inside it).");
    }
}
