using SkiaSharp;

namespace Needle.Video.Tests;

/// <summary>
/// Keyframes for the review pages' strip: one per scene change when the video has several shots, evenly spaced frames
/// when it is one shot; real ffmpeg, real videos.
/// </summary>
public sealed class KeyframeTests(TestVideos videos) : IClassFixture<TestVideos>
{
    [Fact]
    public async Task Three_shots_give_one_frame_per_scene_change_and_one_shot_gives_evenly_spaced_frames()
    {
        // Three shots of two seconds: a test pattern, then plain red, then plain blue: two scene changes.
        var shots = Path.Combine(videos.Folder, "three-shots.mp4");
        TestVideos.Run(
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=2",
            "-f", "lavfi", "-i", "color=c=red:size=320x240:rate=10:duration=2",
            "-f", "lavfi", "-i", "color=c=blue:size=320x240:rate=10:duration=2",
            "-filter_complex", "[0:v][1:v][2:v]concat=n=3:v=1:a=0[v]", "-map", "[v]", "-pix_fmt", "yuv420p", shots);
        var sceneFrames = await VideoKeyframes.ExtractAsync(shots, 6, durationSeconds: 6);
        Assert.Equal(2, sceneFrames.Count);
        using (var red = SKBitmap.Decode(sceneFrames[0]))
        using (var blue = SKBitmap.Decode(sceneFrames[1]))
        {
            var (r, b) = (red.GetPixel(160, 120), blue.GetPixel(160, 120));
            Assert.True(r.Red > 200 && r.Blue < 60, $"first scene frame {r}");
            Assert.True(b.Blue > 200 && b.Red < 60, $"second scene frame {b}");
        }

        // One shot: no scene change, so six frames spread over its six seconds (capped at the maximum asked for).
        var oneShot = Path.Combine(videos.Folder, "one-shot.mp4");
        TestVideos.Run("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10:duration=6", "-pix_fmt", "yuv420p", oneShot);
        var even = await VideoKeyframes.ExtractAsync(oneShot, 6, durationSeconds: 6);
        Assert.Equal(6, even.Count);
        Assert.All(even, png => Assert.NotNull(SKBitmap.Decode(png)));
        Assert.Equal(3, (await VideoKeyframes.ExtractAsync(oneShot, 3, durationSeconds: 6)).Count);
    }
}
