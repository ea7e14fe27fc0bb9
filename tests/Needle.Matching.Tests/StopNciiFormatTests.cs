using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class StopNciiFormatTests
{
    [Fact]
    public void StopNcii_json_array_imports_records_and_inactive_ones_are_disabled()
    {
        var entries = ReadFile("stopncii.json", formatName: "stopncii").List.Entries;
        Assert.Equal(3, entries.Count);
        Assert.True(entries[0].Enabled);
        Assert.Equal("C-1,C-2", entries[0].Metadata["caseNumbers"]);
        Assert.Equal("2024-01-01", entries[0].Metadata["dateCreated"]);
        Assert.False(entries[1].Enabled);
        Assert.Equal("Inactive", entries[1].Metadata["hashStatus"]);
        Assert.Same(SignalTypes.Md5, entries[2].SignalType);
    }

    [Fact]
    public void StopNcii_json_lines_import_with_other_statuses_disabled()
    {
        var entries = ReadFile("stopncii.jsonl", formatName: "stopncii").List.Entries;
        Assert.Equal([true, false], entries.Select(static e => e.Enabled));
    }

    [Fact]
    public void StopNcii_malformed_records_report_line_and_SkipInvalid_keeps_good_ones()
    {
        var text = $$"""
            {"signalType":"pdq","hashValue":"{{Pdq1}}","hashStatus":"Active"}
            {"signalType":"tmk","hashValue":"{{Pdq2}}"}
            {"signalType":"pdq","hashValue":"{{Pdq3[..10]}}"}
            {"signalType":"pdq",
            """;
        var error = ReadFails("stopncii", text);
        Assert.Equal([(2, "signalType"), (3, "hashValue"), (4, null)], error.Errors.Select(static e => (e.Record, e.Field)));
        var result = Read("stopncii", text, new ImportOptions { SkipInvalid = true });
        Assert.Equal(Pdq1, Assert.Single(result.List.Entries).Value);
    }

    [Fact]
    public void StopNcii_array_record_errors_use_the_element_number()
    {
        var error = ReadFails("stopncii", $$"""[{"signalType":"md5","hashValue":"{{Md5A}}"}, {"hashValue":"{{Md5B}}"}]""");
        Assert.Equal((2, "signalType"), (error.Errors[0].Record, error.Errors[0].Field));
    }

    [Fact]
    public void StopNcii_round_trip_gives_the_same_entries()
    {
        var original = ReadFile("stopncii.json", formatName: "stopncii").List;
        var written = Write(HashListFormats.Default.Get("stopncii"), original);
        AssertSameEntries(original.Entries, Read("stopncii", written).List.Entries);
    }
}
