using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>The <c>video</c> harness: the reference and the fast decode paths on a generated clip (needs ffmpeg).</summary>
public sealed class VideoHarnessTests
{
    [Fact]
    public async Task A_tiny_video_run_prints_one_consistent_row_per_clip()
    {
        var work = Directory.CreateTempSubdirectory("needle-loadtest-video-");
        try
        {
            var result = await RunAsync("video", "--codec", "h264", "--height", "144", "--duration", "2", "--runs", "1", "--work-dir", work.FullName);

            Assert.True(result.ExitCode == 0, result.Error);
            var lines = result.OutLines;
            Assert.StartsWith("Needle.LoadTest video: 2 s clips, 30 fps, 1 frame/s hashed, best of 1 runs per path", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("codec  height frames reference |", lines[1], StringComparison.Ordinal);
            Assert.Single(Directory.GetFiles(work.FullName, "h264-144p-2s-gop2s.mp4"));

            // codec height frames reference | fast ratio max mean <=8 q/k | skip-B ratio max mean <=8 q/k
            var parts = lines[2].Split('|');
            Assert.Equal(3, parts.Length);
            var clip = Fields(parts[0]);
            Assert.Equal(["h264", "144", "2"], clip[..3]);
            var reference = Number(clip[3]);
            Assert.True(reference > 0, lines[2]);
            foreach (var path in parts[1..].Select(Fields))
            {
                // speed, ratio to the reference, max and mean distance, share within 8 bits ("100 %": two fields), q%/k%.
                Assert.Equal(7, path.Length);
                Assert.True(Number(path[0]) > 0, lines[2]);
                Assert.Equal(Number(path[0]) / reference, Number(path[1]), 0.1 * Number(path[1]) + 0.05);
                Assert.InRange(Number(path[2]), 0, 256);
                Assert.InRange(Number(path[3]), 0, Number(path[2]));
                Assert.InRange(Number(path[4]), 0, 100);
                var percents = path[6].Split('/');
                Assert.All(percents, p => Assert.InRange(Number(p), 0, 100));
            }

            Assert.StartsWith("speed: ", lines[3], StringComparison.Ordinal);

            // codec height decode needle share cpu | P=1 speed x seg cpu | P=2 ... | P=4 ... | identical
            Assert.StartsWith("codec  height  decode  needle share   cpu | P=1 ", lines[5], StringComparison.Ordinal);
            var row = lines[6].Split('|');
            Assert.Equal(5, row.Length);
            var head = Fields(row[0]);
            Assert.Equal(["h264", "144"], head[..2]);
            Assert.True(Number(head[2]) > 0, lines[6]);
            Assert.Equal(reference, Number(head[3]), 0.05 + 0.05 * reference);
            Assert.Equal(Number(head[3]) / Number(head[2]), Number(head[4]), 0.02 + 0.05 * Number(head[4]));
            Assert.InRange(Number(head[5]), 0.05, 2); // CPU share: decoding is most of the cost
            foreach (var group in row[1..4].Select(Fields))
            {
                Assert.Equal(4, group.Length);
                Assert.True(Number(group[0]) > 0, lines[6]);
                Assert.InRange(Number(group[2]), 1, 4); // a 2 s clip has no key frame to cut at: 1
                Assert.InRange(Number(group[3]), 0.05, 20);
            }

            Assert.Equal("yes", row[4].Trim());
            Assert.StartsWith("decode: ", lines[7], StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Bad_arguments_are_a_usage_error()
    {
        Assert.Equal(2, (await RunAsync("video", "--codec", "av1")).ExitCode);
        Assert.Equal(2, (await RunAsync("video", "--duration", "1")).ExitCode);
        Assert.Equal(2, (await RunAsync("video", "--segments", "0")).ExitCode);
    }
}
