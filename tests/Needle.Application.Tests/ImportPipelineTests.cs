using Needle.Application.Lists;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Application.Tests;

/// <summary>
/// The parser on its own thread, the store on the caller's: every row reaches the store and the stage in order and
/// intact across many batches (and a row larger than a batch), and a failure on either side stops the other and is
/// thrown as it was.
/// </summary>
public sealed class ImportPipelineTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "needle-pipe-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void Every_row_reaches_the_store_and_the_stage_in_order_across_batches()
    {
        var entries = Entries(12_000);
        using var stage = new ImportStage(_directory);
        var stored = new List<HashListEntry>();
        var storeThread = Environment.CurrentManagedThreadId;
        var parserThread = 0;

        ImportPipeline.Run(
            add =>
            {
                parserThread = Environment.CurrentManagedThreadId;
                var row = new ImportRow();
                foreach (var entry in entries)
                {
                    row.Set(entry);
                    add(row);
                }
            },
            stage,
            row =>
            {
                Assert.Equal(storeThread, Environment.CurrentManagedThreadId);
                stored.Add(row.ToEntry());
            });

        Assert.NotEqual(storeThread, parserThread);
        Assert.Equal(entries.Count, stage.Count);
        Assert.Equal(entries.Select(static (e, i) => Show(e with { Id = 0 })), stored.Select(static e => Show(e)));
        Assert.Equal(entries.Select(static (e, i) => Show(e with { Id = 100 + i })), stage.Read(100).Select(static r => Show(r.ToEntry())));
    }

    [Fact]
    public void What_the_parser_throws_is_thrown_to_the_store_side_as_it_was()
    {
        var entries = Entries(9_000);
        using var stage = new ImportStage(_directory);
        var stored = 0;

        var error = Assert.Throws<HashListFormatException>(() => ImportPipeline.Run(
            add =>
            {
                var row = new ImportRow();
                foreach (var entry in entries)
                {
                    row.Set(entry);
                    add(row);
                }

                throw new HashListFormatException("list.jsonl: record 9001, field value: not hex");
            },
            stage,
            _ => stored++));

        Assert.Equal("list.jsonl: record 9001, field value: not hex", error.Message);

        // The rows of the batches handed over before were written (the store's transaction then rolls them back).
        Assert.InRange(stored, 1, entries.Count);
    }

    [Fact]
    public void What_the_store_throws_stops_the_parser_at_its_next_row()
    {
        var entries = Entries(30_000);
        using var stage = new ImportStage(_directory);
        var parsed = 0;
        var parserEnded = false;

        var error = Assert.Throws<InvalidOperationException>(() => ImportPipeline.Run(
            add =>
            {
                try
                {
                    var row = new ImportRow();
                    foreach (var entry in entries)
                    {
                        row.Set(entry);
                        add(row);
                        parsed++;
                    }
                }
                finally
                {
                    parserEnded = true;
                }
            },
            stage,
            _ => throw new InvalidOperationException("The list has run out of entry ids.")));

        Assert.Equal("The list has run out of entry ids.", error.Message);
        Assert.True(parserEnded);
        Assert.True(parsed < entries.Count, $"the parser went on to the end ({parsed} rows)");
    }

    private static string Show(HashListEntry e) =>
        string.Join(
            "|",
            e.Id,
            e.SignalType.Name,
            e.Value,
            e.Label ?? "<null>",
            e.Category ?? "<null>",
            e.Source ?? "<null>",
            e.Enabled,
            string.Join(",", e.Metadata.Select(static p => p.Key + "=" + p.Value)));

    /// <summary>Rows of about 200 bytes (several batches of a megabyte), one of 3 MB (larger than a batch), texts of every kind.</summary>
    private static List<HashListEntry> Entries(int count)
    {
        var random = new Random(5);
        var entries = new List<HashListEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            var pdq = Convert.ToHexStringLower(bytes);
            entries.Add((i % 4) switch
            {
                0 => new HashListEntry(SignalTypes.Pdq, pdq) { Label = "Ünïcödé 😀 " + i, Category = "c", Source = string.Empty, Enabled = i % 8 != 0 },
                1 => new HashListEntry(SignalTypes.Md5, pdq[..32]) { Metadata = new Dictionary<string, string> { ["k"] = new string('v', 150), ["é"] = string.Empty } },
                2 when i == 2_002 => new HashListEntry(SignalTypes.Sha256, pdq) { Label = new string('L', 3 << 20) },
                _ => new HashListEntry(SignalTypes.Sha256, pdq),
            });
        }

        return entries;
    }
}
