using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class HashListStatsTests
{
    [Fact]
    public void Stats_count_types_enabled_categories_and_duplicates()
    {
        var list = new HashList("s");
        list.Add(new HashListEntry(SignalTypes.Md5, Md5A) { Category = "1" });
        list.Add(new HashListEntry(SignalTypes.Md5, Md5A.ToUpperInvariant()) { Category = "1", Enabled = false });
        list.Add(new HashListEntry(SignalTypes.Pdq, Pdq1));

        var stats = HashListStats.Compute(list);

        Assert.Equal((3, 2, 1), (stats.Total, stats.Enabled, stats.Disabled));
        Assert.Equal(2, stats.BySignalType["md5"]);
        Assert.Equal(1, stats.BySignalType["pdq"]);
        Assert.Equal(2, stats.ByCategory["1"]);
        Assert.Equal(1, stats.ByCategory["(none)"]);
        var duplicate = Assert.Single(stats.Duplicates);
        Assert.Equal([1, 2], duplicate.EntryIds);
        Assert.Equal(1, stats.DuplicateEntries);
    }

    [Fact]
    public void Verify_reports_invalid_records_and_duplicates_without_throwing()
    {
        var text = $"{Pdq1}\n{Pdq1.ToUpperInvariant()}\nbad\n";
        var report = HashListVerifier.Verify(Utf8(text), formatName: "text");
        Assert.False(report.IsClean);
        Assert.Equal(3, Assert.Single(report.Errors).Record);
        Assert.Equal(Pdq1, Assert.Single(report.Duplicates).Value);
        Assert.Equal((3, 2), (report.RecordsRead, report.EntriesRead));
    }
}
