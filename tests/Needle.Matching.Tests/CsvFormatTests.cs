using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class CsvFormatTests
{
    [Fact]
    public void Needle_hash_csv_imports_hash_quality_and_path_with_crlf_and_trailing_blank_lines()
    {
        var result = ReadFile("needle-hash.csv", formatName: "csv");
        var entries = result.List.Entries;
        Assert.Equal(3, entries.Count);
        Assert.Equal(Pdq1, entries[0].Value);
        Assert.Equal("/cases/2024-001/beach.jpg", entries[0].Label);
        Assert.Equal("100", entries[0].Metadata["quality"]);
        Assert.Equal("/cases/2024-001/park, sunny.png", entries[1].Label);
        Assert.Equal("needle-hash.csv", entries[0].Source);
        Assert.Equal("needle-hash", result.List.Name);
    }

    [Fact]
    public void Csv_optional_header_and_unquoted_commas_in_paths_are_accepted()
    {
        var result = Read("csv", $"hash,quality,path\n{Pdq1},90,/a,b/c.jpg\n");
        Assert.Equal("/a,b/c.jpg", Assert.Single(result.List.Entries).Label);
    }

    [Fact]
    public void Csv_malformed_lines_fail_with_line_numbers_and_import_nothing()
    {
        var text = $"{Pdq1},90,a.jpg\nnothex,90,b.jpg\n{Pdq2},abc,c.jpg\n";
        var error = ReadFails("csv", text);
        Assert.Equal(2, error.ErrorCount);
        Assert.Equal((2, "hash"), (error.Errors[0].Record, error.Errors[0].Field));
        Assert.Equal((3, "quality"), (error.Errors[1].Record, error.Errors[1].Field));
        Assert.Contains("test.csv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_with_SkipInvalid_imports_good_lines_and_lists_bad_ones()
    {
        var text = $"{Pdq1},90,a.jpg\nnothex,90,b.jpg\n{Pdq2},80,c.jpg\n";
        var result = Read("csv", text, new ImportOptions { SkipInvalid = true });
        Assert.Equal(2, result.List.Count);
        Assert.Equal(2, Assert.Single(result.Errors).Record);
    }

    [Fact]
    public void Csv_round_trip_keeps_entries_and_disabled_ones_stay_out()
    {
        var original = ReadFile("needle-hash.csv", formatName: "csv").List;
        var format = HashListFormats.Default.Get("csv");
        var reread = Read("csv", Write(format, original)).List;
        AssertSameEntries(original.Entries, reread.Entries);

        original.Disable(original.Entries[0].Id);
        var written = Write(format, original);
        Assert.Contains("# disabled: " + Pdq1, written, StringComparison.Ordinal);
        Assert.Equal(2, Read("csv", written).List.Count);
    }

    [Fact]
    public void Csv_export_refuses_non_pdq_entries()
    {
        var list = new HashList("x");
        list.Add(new HashListEntry(SignalTypes.Md5, Md5A));
        Assert.Throws<NotSupportedException>(() => Write(HashListFormats.Default.Get("csv"), list));
    }
}
