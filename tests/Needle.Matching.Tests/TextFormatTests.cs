using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class TextFormatTests
{
    [Fact]
    public void Text_imports_one_pdq_per_line_ignoring_comments_blanks_and_case()
    {
        var entries = ReadFile("hashes.txt", formatName: "text").List.Entries;
        Assert.Equal([Pdq1, Pdq2, Pdq3], entries.Select(static e => e.Value));
        Assert.All(entries, static e => Assert.Same(SignalTypes.Pdq, e.SignalType));
    }

    [Fact]
    public void Text_64_hex_lines_are_pdq_unless_sha256_is_forced()
    {
        Assert.Same(SignalTypes.Pdq, Read("text", Sha256A).List.Entries[0].SignalType);
        var forced = Read("text", Sha256A, new ImportOptions { SignalType = SignalTypes.Sha256 });
        Assert.Same(SignalTypes.Sha256, forced.List.Entries[0].SignalType);
    }

    [Fact]
    public void Text_md5_lines_need_the_signal_type_forced()
    {
        var error = ReadFails("text", $"# md5 list\n{Md5A}\n");
        Assert.Equal(2, error.Errors[0].Record);
        Assert.Contains("md5", error.Errors[0].Reason, StringComparison.Ordinal);
        Assert.Equal(Md5A, Read("text", Md5A.ToUpperInvariant(), new ImportOptions { SignalType = SignalTypes.Md5 }).List.Entries[0].Value);
    }

    [Fact]
    public void Text_malformed_line_reports_line_number_and_SkipInvalid_keeps_the_rest()
    {
        var text = $"{Pdq1}\n\n{Pdq2[..60]}\n{Pdq3}\n";
        Assert.Equal(3, ReadFails("text", text).Errors[0].Record);
        var result = Read("text", text, new ImportOptions { SkipInvalid = true });
        Assert.Equal(2, result.List.Count);
        Assert.Equal(3, Assert.Single(result.Errors).Record);
    }

    [Fact]
    public void Text_round_trip_and_mixed_types_are_refused()
    {
        var list = ReadFile("hashes.txt", formatName: "text").List;
        var format = HashListFormats.Default.Get("text");
        AssertSameEntries(list.Entries, Read("text", Write(format, list)).List.Entries);
        list.Add(new HashListEntry(SignalTypes.Md5, Md5A));
        Assert.Throws<NotSupportedException>(() => Write(format, list));
    }
}
