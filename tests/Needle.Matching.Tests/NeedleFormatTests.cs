using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class NeedleFormatTests
{
    [Fact]
    public void Needle_format_reads_header_thresholds_ids_and_disabled_entries()
    {
        var list = ReadFile("list.needle.jsonl", formatName: "needle").List;
        Assert.Equal(("hotline-known", HashListKind.Known, 20, 150.0), (list.Name, list.Kind, list.PdqThreshold, list.PhotoDnaThreshold));
        var entries = list.Entries;
        Assert.Equal([1, 5], entries.Select(static e => e.Id));
        Assert.False(entries[1].Enabled);
        Assert.Equal("100", entries[0].Metadata["quality"]);
    }

    [Fact]
    public void Needle_format_round_trips_everything()
    {
        var list = new HashList("allow-logos", HashListKind.Allow) { PdqThreshold = 12, PhotoDnaThreshold = 99.5 };
        list.Add(new HashListEntry(SignalTypes.Pdq, Pdq1) { Label = "logo", Category = "benign", Source = "hotline", Metadata = new Dictionary<string, string> { ["k"] = "v \"quoted\"" } });
        list.Add(new HashListEntry(SignalTypes.PhotoDna, PhotoDnaA) { Enabled = false });
        list.Add(new HashListEntry(SignalTypes.Sha256, Sha256A));
        list.Remove(2);

        var reread = Read("needle", Write(HashListFormats.Default.Get("needle"), list)).List;

        Assert.Equal((list.Name, list.Kind, 12, 99.5), (reread.Name, reread.Kind, reread.PdqThreshold, reread.PhotoDnaThreshold));
        Assert.Equal(list.Entries.Select(static e => e.Id), reread.Entries.Select(static e => e.Id));
        Assert.Equal(list.Entries.Select(static e => e.Source), reread.Entries.Select(static e => e.Source));
        AssertSameEntries(list.Entries, reread.Entries);
    }

    [Fact]
    public void Needle_format_bad_entries_report_line_numbers_and_SkipInvalid_keeps_good_ones()
    {
        var text = $$"""
            {"format":"needle-hashlist","version":1,"name":"n","kind":"known"}
            {"id":1,"signalType":"md5","value":"{{Md5A}}"}
            {"id":1,"signalType":"md5","value":"{{Md5B}}"}
            {"id":2,"signalType":"md5","value":"nope"}
            not json
            """;
        var error = ReadFails("needle", text);
        Assert.Equal([(3, "id"), (4, "value"), (5, null)], error.Errors.Select(static e => (e.Record, e.Field)));
        Assert.Equal(1, Read("needle", text, new ImportOptions { SkipInvalid = true }).List.Count);
    }

    [Fact]
    public void Needle_format_reads_unusual_entry_lines_as_leniently_as_ever()
    {
        // Lines as Needle writes them take the fast reader; these do not (a capitalised field, a number as label and
        // metadata value, a null metadata value, an unknown field, an upper-case hash, escapes, CRLF) and must read
        // exactly as before.
        var text = "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"n\"}\r\n" +
            $$$"""{"id":3,"SignalType":"md5","value":"{{{Md5A.ToUpperInvariant()}}}","label":7,"metadata":{"n":5,"s":"x","z":null},"extra":[1]}""" + "\r\n" +
            $$$"""{"id":4,"signalType":"pdq","value":" {{{Pdq1}}} ","label":"a\"b\u00e9","category":null,"enabled":false,"metadata":{"k":"v","k":"w"}}""" + "\r\n" +
            $$$"""{"signalType":"md5","value":"{{{Md5B}}}","source":"s"}""";

        var entries = Read("needle", text).List.Entries;

        Assert.Equal(3, entries.Count);
        Assert.Equal((3, SignalTypes.Md5, Md5A, "7", true), (entries[0].Id, entries[0].SignalType, entries[0].Value, entries[0].Label, entries[0].Enabled));
        Assert.Equal(new Dictionary<string, string> { ["n"] = "5", ["s"] = "x" }, entries[0].Metadata);
        Assert.Equal((4, SignalTypes.Pdq, Pdq1, "a\"b\u00e9", null, false), (entries[1].Id, entries[1].SignalType, entries[1].Value, entries[1].Label, entries[1].Category, entries[1].Enabled));
        Assert.Equal(new Dictionary<string, string> { ["k"] = "w" }, entries[1].Metadata);
        Assert.Equal((SignalTypes.Md5, Md5B, "s", true), (entries[2].SignalType, entries[2].Value, entries[2].Source, entries[2].Enabled));
        Assert.Empty(entries[2].Metadata);

        // Something after the object is still an error of that record.
        var error = ReadFails("needle", text + "\n" + $$$"""{"id":9,"signalType":"md5","value":"{{{Md5A}}}"} trailing""");
        Assert.Equal([(5, null)], error.Errors.Select(static e => (e.Record, e.Field)));
    }

    [Fact]
    public void Needle_format_without_header_or_from_the_future_is_rejected()
    {
        Assert.Throws<HashListFormatException>(() => Read("needle", $$"""{"id":1,"signalType":"md5","value":"{{Md5A}}"}"""));
        Assert.Throws<HashListFormatException>(() => Read("needle", """{"format":"needle-hashlist","version":99}"""));
    }
}
