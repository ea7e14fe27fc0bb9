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
    public void StopNcii_json_lines_import_and_a_deleted_record_is_a_tombstone()
    {
        var result = ReadFile("stopncii.jsonl", formatName: "stopncii");
        Assert.Equal(Pdq1, Assert.Single(result.List.Entries).Value);
        var gone = Assert.Single(result.Tombstones);
        Assert.Equal((SignalTypes.Pdq, Pdq3), (gone.SignalType, gone.Value));
    }

    // The FetchHashes response as StopNCII's API documents it (python-threatexchange's StopNCII client reads this shape).
    private static string FetchHashesResponse(bool pretty)
    {
        var text = $$"""
            {
              "count": 5,
              "nextPageToken": "page-2",
              "nextSetTimestamp": 1625175071,
              "hasMoreRecords": true,
              "hashRecords": [
                {
                  "lastModtimestamp": 1625175000,
                  "signalType": "ImagePDQ",
                  "hashValue": "{{Pdq1}}",
                  "hashStatus": "Received",
                  "caseNumbers": { "CASE-1": "Received", "CASE-2": "Active" },
                  "CSPFeedbacks": []
                },
                { "lastModtimestamp": 1625175001, "signalType": "VideoMD5", "hashValue": "{{Md5A}}", "hashStatus": "Active", "caseNumbers": {} },
                { "lastModtimestamp": 1625175002, "signalType": "video_md5", "hashValue": "{{Md5B}}", "hashStatus": "Active" },
                { "lastModtimestamp": 1625175003, "signalType": "ImagePDQ", "hashValue": "{{Pdq2}}", "hashStatus": "Withdrawn", "caseNumbers": { "CASE-3": "Withdrawn" } },
                { "lastModtimestamp": 1625175004, "signalType": "VideoTMK", "hashValue": "abc", "hashStatus": "Active" }
              ]
            }
            """;
        return pretty ? text : string.Join("", text.Split('\n').Select(static l => l.Trim()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StopNcii_FetchHashes_response_object_is_read_pretty_or_compact(bool pretty)
    {
        var text = FetchHashesResponse(pretty);
        Assert.Equal("stopncii", HashListFormats.Default.Detect(System.Text.Encoding.UTF8.GetBytes(text), "page.json")?.Name);
        var result = Read("stopncii", text);
        var entries = result.List.Entries;
        Assert.Equal([(SignalTypes.Pdq, Pdq1), (SignalTypes.Md5, Md5A), (SignalTypes.Md5, Md5B)], entries.Select(static e => (e.SignalType, e.Value)));

        // Received is StopNCII's first and most common state: it matches.
        Assert.All(entries, static e => Assert.True(e.Enabled));
        Assert.Equal("Received", entries[0].Metadata["hashStatus"]);
        Assert.Equal("Received", entries[0].Metadata["caseNumbers.CASE-1"]);
        Assert.Equal("Active", entries[0].Metadata["caseNumbers.CASE-2"]);
        Assert.Equal("video", entries[1].Metadata["mediaType"]);
        Assert.Equal("video", entries[2].Metadata["mediaType"]);

        var gone = Assert.Single(result.Tombstones);
        Assert.Equal((SignalTypes.Pdq, Pdq2, 4), (gone.SignalType, gone.Value, gone.Record));
        Assert.Equal("signalType", Assert.Single(result.Warnings).Field);
        Assert.Equal(new FeedPosition { NextPage = "page-2", HasMore = true, NextTimestamp = 1625175071, Count = 5 }, result.Feed);
    }

    [Fact]
    public void StopNcii_FetchHashes_response_without_records_fails_cleanly()
    {
        var error = ReadFails("stopncii", """{"count": 0, "hashRecords": 3}""");
        Assert.Contains("hashRecords", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StopNcii_export_uses_StopNCII_names_and_keeps_case_numbers_structured()
    {
        var original = Read("stopncii", FetchHashesResponse(pretty: true)).List;
        var written = Write(HashListFormats.Default.Get("stopncii"), original);
        Assert.Contains("\"signalType\":\"ImagePDQ\"", written, StringComparison.Ordinal);
        Assert.Contains("\"signalType\":\"VideoMD5\"", written, StringComparison.Ordinal);
        Assert.Contains("\"caseNumbers\":{\"CASE-1\":\"Received\",\"CASE-2\":\"Active\"}", written, StringComparison.Ordinal);
        Assert.Contains("\"hashStatus\":\"Received\"", written, StringComparison.Ordinal);
        AssertSameEntries(original.Entries, Read("stopncii", written).List.Entries);
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
