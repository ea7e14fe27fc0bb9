using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

/// <summary>
/// The native format reads its lines as UTF-8 bytes, never decoded to characters: whatever the line endings, the
/// characters, the lengths and the way the bytes arrive (lines split across reads, lines longer than the read buffer),
/// the entries, the rows and the errors are what the file says.
/// </summary>
public sealed class NeedleByteLineTests
{
    private const string Header = "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"bytes\",\"kind\":\"known\"}";

    [Theory]
    [InlineData("\n", 1)]
    [InlineData("\r\n", 7)]
    [InlineData("\r\n", 4096)]
    [InlineData("\n", 100_000)]
    public void Entries_with_any_text_read_the_same_as_rows_and_as_entries_however_the_bytes_arrive(string newline, int chunk)
    {
        var expected = Entries(400);
        var bytes = Encoding.UTF8.GetBytes(Text(expected, newline));

        var rows = new List<HashListEntry>();
        var viaRows = Format.Read(new ChunkedStream(bytes, chunk), new ImportOptions { RowSink = row => rows.Add(row.ToEntry()) });
        var viaEntries = Format.Read(new ChunkedStream(bytes, chunk), new ImportOptions());

        Assert.Equal(expected.Count, viaRows.RecordsRead);
        Assert.Equal(0, viaRows.ErrorCount);
        AssertSameEntries(expected, rows);
        Assert.Equal(expected.Select(static e => e.Source), rows.Select(static e => e.Source));
        Assert.Equal(expected.Select(static e => e.Id), rows.Select(static e => e.Id));
        AssertSameEntries(expected, viaEntries.List.Entries);
    }

    [Fact]
    public void A_byte_order_mark_is_skipped_for_UTF8_and_decoded_for_UTF16()
    {
        var expected = Entries(50);
        var text = Text(expected, "\r\n");
        foreach (var encoding in new Encoding[] { new UTF8Encoding(true), new UnicodeEncoding(false, true), new UnicodeEncoding(true, true) })
        {
            var bytes = (byte[])[.. encoding.GetPreamble(), .. encoding.GetBytes(text)];
            var rows = new List<HashListEntry>();
            Format.Read(new ChunkedStream(bytes, 3), new ImportOptions { RowSink = row => rows.Add(row.ToEntry()) });
            AssertSameEntries(expected, rows);
        }
    }

    [Fact]
    public void The_length_cap_counts_characters_not_bytes()
    {
        // 40 characters of 3 bytes each: 120 bytes, within a cap of 50 characters; 60 of them are over it.
        var fits = Line(1, new string('€', 40));
        var over = Line(2, new string('€', 60));
        var longer = Line(3, new string('€', 5_000));
        var bytes = Encoding.UTF8.GetBytes(Header + "\n" + fits + "\r\n" + over + "\n" + longer + "\n" + Line(4, "after"));
        var options = new ImportOptions { MaxLineLength = 50 + Line(1, string.Empty).Length, SkipInvalid = true };

        var result = Format.Read(new ChunkedStream(bytes, 64), options);

        Assert.Equal([(3, (string?)null), (4, null)], result.Errors.Select(static e => (e.Record, e.Field)));
        Assert.Contains("longer than", result.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Equal([new string('€', 40), "after"], result.List.Entries.Select(static e => e.Label));
        Assert.Equal([1, 4], result.List.Entries.Select(static e => e.Id));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Invalid_UTF8_or_a_NUL_fails_the_import_even_in_a_line_too_long_to_read(bool tooLong)
    {
        var padding = tooLong ? new string('a', 2_000) : "a";
        byte[] invalid = [.. Encoding.UTF8.GetBytes(Header + "\n" + Line(1, "ok") + "\n" + Line(2, padding)[..^2]), 0xC3, 0x28, .. "\"}\n"u8];
        byte[] nul = [.. Encoding.UTF8.GetBytes(Header + "\n" + Line(1, "ok") + "\n" + Line(2, padding)[..^2]), 0, .. "\"}\n"u8];
        var options = new ImportOptions { MaxLineLength = 200, SkipInvalid = true, FileName = "bad.jsonl" };

        var error = Assert.Throws<HashListFormatException>(() => Format.Read(new ChunkedStream(invalid, 16), options));
        Assert.Contains("invalid UTF-8 after line 2", error.Message, StringComparison.Ordinal);
        error = Assert.Throws<HashListFormatException>(() => Format.Read(new ChunkedStream(nul, 16), options));
        Assert.Contains("line 3 contains a NUL character", error.Message, StringComparison.Ordinal);
    }

    private static IHashListFormat Format => HashListFormats.Default.Get("needle");

    private static string Line(int id, string label) =>
        string.Create(CultureInfo.InvariantCulture, $$"""{"id":{{id}},"signalType":"md5","value":"{{Md5A}}","label":"{{label}}"}""");

    /// <summary>Entries as Needle writes them, with non-ASCII texts, escapes, empty and absent fields, and metadata longer than a read.</summary>
    private static List<HashListEntry> Entries(int count)
    {
        var random = new Random(20);
        var entries = new List<HashListEntry>();
        for (var i = 1; i <= count; i++)
        {
            var md5 = Convert.ToHexStringLower(RandomBytes(random, 16));
            entries.Add((i % 6) switch
            {
                0 => new HashListEntry(SignalTypes.Md5, md5) { Id = i, Label = "Ünïcödé 標籤 😀 " + i, Category = "카테고리", Source = "a\\\"b\tc" },
                1 => new HashListEntry(SignalTypes.Pdq, Convert.ToHexStringLower(RandomBytes(random, 32))) { Id = i, Label = string.Empty, Enabled = false },
                2 => new HashListEntry(SignalTypes.Md5, md5)
                {
                    Id = i,
                    Label = new string('ł', 40_000 + i),
                    Metadata = new Dictionary<string, string> { ["long"] = new string('x', 70_000 + i), ["ключ"] = "значение \"\\\n\u0001 😀" },
                },
                3 => new HashListEntry(SignalTypes.Sha256, Convert.ToHexStringLower(RandomBytes(random, 32))) { Id = i, Metadata = new Dictionary<string, string> { ["k"] = "€" } },
                _ => new HashListEntry(SignalTypes.Md5, md5) { Id = i, Source = "s" },
            });
        }

        return entries;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>The list as Needle writes it, but with non-ASCII characters as they are (Needle's writer escapes them).</summary>
    private static string Text(List<HashListEntry> entries, string newline)
    {
        var options = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var text = new StringBuilder(Header).Append(newline);
        foreach (var entry in entries)
        {
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream, options))
            {
                writer.WriteStartObject();
                writer.WriteNumber("id", entry.Id);
                writer.WriteString("signalType", entry.SignalType.Name);
                writer.WriteString("value", entry.Value);
                WriteOptional(writer, "label", entry.Label);
                WriteOptional(writer, "category", entry.Category);
                WriteOptional(writer, "source", entry.Source);
                writer.WriteBoolean("enabled", entry.Enabled);
                if (entry.Metadata.Count > 0)
                {
                    writer.WriteStartObject("metadata");
                    foreach (var (key, value) in entry.Metadata)
                    {
                        writer.WriteString(key, value);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndObject();
            }

            // The encoder escapes characters beyond the BMP even when relaxed: the emoji goes in as its 4 bytes.
            text.Append(Encoding.UTF8.GetString(stream.ToArray()).Replace("\\uD83D\\uDE00", "😀", StringComparison.Ordinal)).Append(newline);
        }

        Assert.Contains("Ünïcödé 標籤 😀", text.ToString(), StringComparison.Ordinal);
        return text.ToString();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    /// <summary>A stream that hands its bytes out at most <paramref name="chunk"/> at a time, as an upload arrives.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, chunk)]);
    }
}
