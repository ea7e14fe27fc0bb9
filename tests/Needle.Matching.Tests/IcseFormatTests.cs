using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class IcseFormatTests
{
    [Fact]
    public void Icse_rows_import_each_hash_with_image_id_label_and_other_columns_as_metadata()
    {
        var entries = ReadFile("icse.csv", formatName: "icse").List.Entries;
        Assert.Equal(3, entries.Count);
        Assert.Equal((SignalTypes.Md5, Md5A, "IMG-1"), (entries[0].SignalType, entries[0].Value, entries[0].Label));
        Assert.Equal((SignalTypes.Sha1, Sha1A, "IMG-1"), (entries[1].SignalType, entries[1].Value, entries[1].Label));
        Assert.Equal("Series \"Alpha\"; part 1", entries[0].Metadata["Series name"]);
        Assert.Equal("Yes", entries[0].Metadata["Is distributed"]);
        Assert.Equal("first", entries[0].Metadata["Notes"]);
        Assert.Equal(Md5B, entries[2].Value);
        Assert.Equal("multi\nline note", entries[2].Metadata["Notes"]);
    }

    [Fact]
    public void Icse_malformed_rows_report_line_numbers_and_SkipInvalid_keeps_good_rows()
    {
        var text = "MD5;SHA1;PhotoDNA;Image ID\n" +
                   $"{Md5A};;;ok\n" +
                   $"{Md5B[..30]};;;bad-md5\n" +
                   ";;;no-hash\n" +
                   $"{Md5C};;;x;extra\n";
        var error = ReadFails("icse", text);
        Assert.Equal([(3, "MD5"), (4, null), (5, null)], error.Errors.Select(static e => (e.Record, e.Field)));

        var result = Read("icse", text, new ImportOptions { SkipInvalid = true });
        Assert.Equal("ok", Assert.Single(result.List.Entries).Label);
        Assert.Equal(3, result.Errors.Count);
    }

    [Fact]
    public void Icse_without_hash_columns_is_rejected()
    {
        var error = ReadFails("icse", "Name;Size\na;1\n");
        Assert.Contains("header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Icse_round_trip_gives_the_same_entries()
    {
        var original = ReadFile("icse.csv", formatName: "icse").List;
        var written = Write(HashListFormats.Default.Get("icse"), original);
        Assert.StartsWith("MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;Notes", written, StringComparison.Ordinal);
        AssertSameEntries(original.Entries, Read("icse", written).List.Entries);
    }
}
