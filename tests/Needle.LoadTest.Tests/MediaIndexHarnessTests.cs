using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>The <c>media-index</c> harness: a tiny run holds every file from the database and from the snapshot, and finds the same files.</summary>
public sealed class MediaIndexHarnessTests
{
    [Fact]
    public async Task A_tiny_run_holds_every_file_both_ways_and_measures_the_video_index()
    {
        var result = await RunAsync("media-index", "--files", "2000", "--videos", "5", "--frames", "30");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.OutLines;
        Assert.StartsWith("Needle.LoadTest media-index: 2000 processed files", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("held files:", StringComparison.Ordinal) && l.EndsWith(" 2000", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("200 searches found the same files", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("video frame index: 5 vPDQ entries x 30 frames", StringComparison.Ordinal));
    }
}
