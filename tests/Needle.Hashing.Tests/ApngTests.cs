using Needle.Hashing.Decoding;
using Needle.Hashing.Pdq;
using Needle.Testing.Images;

namespace Needle.Hashing.Tests;

/// <summary>
/// APNG is read by Needle's own frame reader: every frame hashed with its number and time (and equal to the same
/// picture as a still PNG), composed per the APNG specification (blend OVER, dispose PREVIOUS/BACKGROUND), under the
/// frame and pixel limits; damaged files end their frames early or are refused, never crash.
/// </summary>
public sealed class ApngTests
{
    private static readonly byte[][] Frames = TestAnimations.Frames();

    public static TheoryData<string> HostileFiles() => new(
        Directory.EnumerateFiles(HostileApngDirectory, "*.png").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal));

    private static string HostileApngDirectory => Path.Combine(AppContext.BaseDirectory, "data", "hostile-apng");

    [Fact]
    public void Every_frame_is_hashed_with_its_number_and_time_and_equals_its_still()
    {
        var file = TestApng.Write(Frames);

        var result = Hasher().HashBytes(file, "anim.png");

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(ImageFormat.Png, result.Format);
        var animation = Assert.IsType<AnimationHash>(result.Animation);
        Assert.Equal(5, animation.FrameCount);
        Assert.Equal([0, 1, 2, 3, 4], animation.Frames.Select(f => f.FrameNumber));
        Assert.Equal([0.0, 0.1, 0.2, 0.3, 0.4], animation.Frames.Select(f => f.Timestamp));
        Assert.Equal(0.5, animation.Duration, 3);
        Assert.False(animation.Truncated);
        Assert.Equal(result.Pdq!.Value.Hash, animation.Frames[0].Pdq.Hash);
        for (var i = 0; i < Frames.Length; i++)
        {
            Assert.Equal(StillHash(Frames[i]), animation.Frames[i].Pdq.Hash);
        }

        Assert.True(animation.Frames[2].Pdq.Hash.HammingDistance(animation.Frames[1].Pdq.Hash) > 60);
    }

    [Fact]
    public void Blend_over_and_dispose_previous_and_background_compose_as_the_specification_says()
    {
        const int width = 64;
        const int height = 48;
        var background = TestAnimations.Rgba("p03_flower.png", width, height);

        // Frame 1: 32x24 at (8, 8), blend OVER, dispose PREVIOUS: opaque red left third, transparent middle third,
        // half-transparent blue right third.
        var patch = new byte[32 * 24 * 4];
        for (var y = 0; y < 24; y++)
        {
            for (var x = 0; x < 32; x++)
            {
                var p = ((y * 32) + x) * 4;
                (patch[p], patch[p + 1], patch[p + 2], patch[p + 3]) = x < 11 ? ((byte)255, (byte)0, (byte)0, (byte)255)
                    : x < 22 ? ((byte)9, (byte)9, (byte)9, (byte)0)
                    : ((byte)0, (byte)0, (byte)255, (byte)128);
            }
        }

        TestApngFrame[] frames =
        [
            new(background, width, height),
            new(patch, 32, 24, X: 8, Y: 8, Dispose: 2, Blend: 1),
            new(TestApng.Solid(16, 16, 0, 255, 0), 16, 16, X: 40, Y: 20, Dispose: 1, Blend: 1),
            new(TestApng.Solid(8, 8, 0, 0, 0, 0), 8, 8, X: 0, Y: 0, Blend: 1),
        ];
        var file = TestApng.Write(width, height, frames);
        var rendered = new Dictionary<int, byte[]>();

        var animation = ApngDecoder.Render(file, DecodeOptions.Default, (i, canvas) => rendered[i] = canvas);

        Assert.NotNull(animation);
        Assert.Equal(4, rendered.Count);
        var expected = ReferenceComposite(width, height, frames);
        for (var i = 0; i < frames.Length; i++)
        {
            AssertPixels(expected[i], rendered[i], width, i);
        }

        // The checks that matter, spelled out: frame 1 shows red over the photo and a blue tint; frame 2 shows the
        // photo again where frame 1's patch was (PREVIOUS) plus green; frame 3 has the green area cleared (BACKGROUND).
        Assert.Equal((255, 0, 0, 255), Pixel(rendered[1], width, 10, 10));
        Assert.Equal(Pixel(background, width, 10, 10), Pixel(rendered[2], width, 10, 10));
        Assert.Equal((0, 255, 0, 255), Pixel(rendered[2], width, 45, 25));
        Assert.Equal((0, 0, 0, 0), Pixel(rendered[3], width, 45, 25));
    }

    [Fact]
    public void Over_MaxFrames_a_sample_is_hashed_and_MaxAnimationPixels_cuts_short()
    {
        var file = TestApng.Write(Frames);

        var sampled = Hasher(new DecodeOptions { MaxFrames = 2 }).HashBytes(file, "anim.png").Animation!;
        var cut = Hasher(new DecodeOptions { MaxAnimationPixels = 240 * 160 * 3 }).HashBytes(file, "anim.png").Animation!;

        Assert.Equal([0, 3], sampled.Frames.Select(f => f.FrameNumber));
        Assert.Equal(5, sampled.FrameCount);
        Assert.True(cut.Truncated);
        Assert.Equal([0, 1, 2], cut.Frames.Select(f => f.FrameNumber));
    }

    [Fact]
    public void A_still_png_and_a_one_frame_apng_have_no_frames()
    {
        Assert.Null(Hasher().HashBytes(TestAnimations.Png(Frames[0]), "still.png").Animation);
        Assert.Null(Hasher().HashBytes(TestApng.Write([Frames[0]]), "one.png").Animation);
    }

    [Fact]
    public void The_frame_reader_itself_ends_the_frames_at_a_chunk_cut_mid_fdAT()
    {
        // The still decoder refuses a cut PNG before the frame reader runs; this checks the reader's own bound.
        var file = TestApng.Write(Frames);
        var last = TestApng.Chunks(file).Last(c => c.Type == "fdAT");
        var cut = file.AsMemory(0, last.Offset + 8 + (last.Length / 2));

        var animation = ApngDecoder.Render(cut, DecodeOptions.Default, (_, _) => { });

        Assert.NotNull(animation);
        Assert.True(animation.Truncated);
        Assert.Equal([0, 1, 2, 3], animation.Frames.Select(f => f.FrameNumber));
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public void Every_hostile_apng_ends_as_its_name_says(string fileName)
    {
        var bytes = File.ReadAllBytes(Path.Combine(HostileApngDirectory, fileName));

        var result = Hasher().HashBytes(bytes, fileName);

        var outcome = Path.GetFileNameWithoutExtension(fileName).Split("__")[1];
        Assert.Equal(fileName, result.Path);
        if (outcome != "CutShort")
        {
            Assert.Equal(Enum.Parse<DecodeFailure>(outcome), result.Failure);
            Assert.False(string.IsNullOrWhiteSpace(result.Error));
            return;
        }

        Assert.True(result.Succeeded, result.Error);
        var animation = Assert.IsType<AnimationHash>(result.Animation);
        Assert.True(animation.Truncated);
        var expectedFrames = fileName.Contains("frame_2", StringComparison.Ordinal) ? 2 : 3;
        Assert.Equal(Enumerable.Range(0, expectedFrames), animation.Frames.Select(f => f.FrameNumber));
    }

    [Fact]
    public void The_hostile_apng_folder_holds_the_expected_files()
    {
        var files = Directory.EnumerateFiles(HostileApngDirectory, "*.png").Select(Path.GetFileName).ToArray();

        Assert.Equal(6, files.Length);
        Assert.All(files, name => Assert.Contains("__", name, StringComparison.Ordinal));
    }

    /// <summary>The APNG specification's composition, written plainly with floating point, as the expected canvases.</summary>
    private static byte[][] ReferenceComposite(int width, int height, TestApngFrame[] frames)
    {
        var canvas = new double[width * height * 4];
        var result = new byte[frames.Length][];
        for (var i = 0; i < frames.Length; i++)
        {
            var f = frames[i];
            var saved = (double[])canvas.Clone();
            for (var y = 0; y < f.Height; y++)
            {
                for (var x = 0; x < f.Width; x++)
                {
                    var s = ((y * f.Width) + x) * 4;
                    var d = (((f.Y + y) * width) + f.X + x) * 4;
                    double sa = f.Rgba[s + 3] / 255.0, da = canvas[d + 3] / 255.0;
                    if (f.Blend == 0 || sa == 1)
                    {
                        for (var c = 0; c < 4; c++)
                        {
                            canvas[d + c] = f.Rgba[s + c];
                        }

                        continue;
                    }

                    var outAlpha = sa + (da * (1 - sa));
                    if (outAlpha == 0)
                    {
                        continue;
                    }

                    for (var c = 0; c < 3; c++)
                    {
                        canvas[d + c] = ((f.Rgba[s + c] * sa) + (canvas[d + c] * da * (1 - sa))) / outAlpha;
                    }

                    canvas[d + 3] = outAlpha * 255;
                }
            }

            result[i] = [.. canvas.Select(v => (byte)Math.Round(v))];
            for (var y = 0; y < f.Height; y++)
            {
                for (var x = 0; x < f.Width * 4; x++)
                {
                    var d = ((((f.Y + y) * width) + f.X) * 4) + x;
                    canvas[d] = f.Dispose switch { 1 => 0, 2 => saved[d], _ => canvas[d] };
                }
            }
        }

        return result;
    }

    private static void AssertPixels(byte[] expected, byte[] actual, int width, int frame)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            // The decoder composes in integers: at most one level of rounding apart.
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1,
                $"frame {frame}, pixel ({i / 4 % width}, {i / 4 / width}) channel {i % 4}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static (int R, int G, int B, int A) Pixel(byte[] rgba, int width, int x, int y)
    {
        var p = ((y * width) + x) * 4;
        return (rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]);
    }

    private static MediaFileHasher Hasher(DecodeOptions? options = null)
    {
        var decode = options ?? DecodeOptions.Default;
        return new MediaFileHasher(new MediaHashOptions { Decode = decode }, new ImageDecoder(decode));
    }

    private static PdqHash StillHash(byte[] rgba)
    {
        using var image = new ImageDecoder().Decode(TestAnimations.Png(rgba), "frame.png");
        return new PdqHasher().Hash(image).Hash;
    }
}
