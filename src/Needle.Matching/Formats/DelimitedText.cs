using System.Text;

namespace Needle.Matching.Formats;

/// <summary>Splits delimited records (CSV, ICSE) with RFC 4180 quoting: <c>"a;b"</c>, <c>""</c> for a quote.</summary>
internal static class DelimitedText
{
    /// <summary>Whether the line ends inside an open quote (the record continues on the next line).</summary>
    public static bool HasOpenQuote(string text)
    {
        var open = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                open = !open;
            }
        }

        return open;
    }

    /// <summary>Splits a record; false when quoting is malformed.</summary>
    public static bool TrySplit(string record, char delimiter, List<string> fields, out string? error)
    {
        fields.Clear();
        error = null;
        var field = new StringBuilder();
        var i = 0;
        while (true)
        {
            field.Clear();
            if (i < record.Length && record[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= record.Length)
                    {
                        error = $"field {fields.Count + 1} has an unterminated quote";
                        return false;
                    }

                    if (record[i] == '"')
                    {
                        if (i + 1 < record.Length && record[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(record[i++]);
                }

                if (i < record.Length && record[i] != delimiter)
                {
                    error = $"field {fields.Count + 1} has text after its closing quote";
                    return false;
                }
            }
            else
            {
                var end = record.IndexOf(delimiter, i);
                if (end < 0)
                {
                    end = record.Length;
                }

                field.Append(record, i, end - i);
                i = end;
            }

            fields.Add(field.ToString());
            if (i >= record.Length)
            {
                return true;
            }

            i++; // delimiter
        }
    }

    /// <summary>Quotes a field when it holds the delimiter, a quote or a line break.</summary>
    public static string Escape(string? value, char delimiter)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        return value.AsSpan().IndexOfAny(delimiter, '"', '\n') >= 0 || value.Contains('\r', StringComparison.Ordinal)
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }
}
