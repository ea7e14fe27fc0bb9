#if NEEDLE_MAGICK
using ImageMagick;
using Needle.Hashing.Pdq;
using Needle.Testing.Images;

namespace Needle.Hashing.Tests;

/// <summary>
/// Animated GIF and WebP are hashed frame by frame, with frame numbers and times, bounded by the frame and pixel
/// limits; frame 0 is still the file's own PDQ, and a still image has no frames.
/// </summary>
public sealed class AnimationTests
{
    private static readonly byte[][] Frames = TestAnimations.Frames();

    /// <summary>GIF keeps at most 256 colours per frame, so its frames may sit a few bits from the true-colour frame.</summary>
    private const int GifPaletteTolerance = 20;

    public static TheoryData<MagickFormat, int> Formats() => new()
    {
        { MagickFormat.Gif, GifPaletteTolerance },
        { MagickFormat.WebP, 0 },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Every_frame_is_hashed_with_its_number_and_time(MagickFormat format, int tolerance)
    {
        var file = TestAnimations.Write(format, Frames);

        var result = Hasher().HashBytes(file, "anim." + format.ToString().ToLowerInvariant());

        Assert.True(result.Succeeded, result.Error);
        var animation = Assert.IsType<AnimationHash>(result.Animation);
        Assert.Equal(Frames.Length, animation.FrameCount);
        Assert.Equal([0, 1, 2, 3, 4], animation.Frames.Select(f => f.FrameNumber));
        Assert.Equal([0.0, 0.1, 0.2, 0.3, 0.4], animation.Frames.Select(f => f.Timestamp));
        Assert.Equal(0.5, animation.Duration, 3);
        Assert.False(animation.Truncated);
        Assert.Equal(result.Pdq!.Value.Hash, animation.Frames[0].Pdq.Hash);
        for (var i = 0; i < Frames.Length; i++)
        {
            var still = StillHash(Frames[i]);
            var distance = animation.Frames[i].Pdq.Hash.HammingDistance(still);
            Assert.True(distance <= tolerance, $"frame {i}: {distance} bits from its still");
        }

        // Each frame is its own picture: far from the others.
        Assert.True(animation.Frames[2].Pdq.Hash.HammingDistance(animation.Frames[1].Pdq.Hash) > 60);
    }

    [Fact]
    public void Over_MaxFrames_an_evenly_spaced_sample_is_hashed()
    {
        var file = TestAnimations.Write(MagickFormat.Gif, Frames);
        var hasher = Hasher(new DecodeOptions { MaxFrames = 2 });

        var animation = hasher.HashBytes(file, "anim.gif").Animation!;

        Assert.Equal(5, animation.FrameCount);
        Assert.Equal([0, 3], animation.Frames.Select(f => f.FrameNumber));
        Assert.Equal(0.3, animation.Frames[1].Timestamp, 3);
    }

    [Theory]
    [InlineData(MagickFormat.Gif)]
    [InlineData(MagickFormat.WebP)]
    public void Decoding_stops_at_MaxAnimationPixels_and_says_so(MagickFormat format)
    {
        var file = TestAnimations.Write(format, Frames);
        var hasher = Hasher(new DecodeOptions { MaxAnimationPixels = 240 * 160 * 3 });

        var animation = hasher.HashBytes(file, "anim").Animation!;

        Assert.True(animation.Truncated);
        Assert.Equal(5, animation.FrameCount);
        Assert.Equal([0, 1, 2], animation.Frames.Select(f => f.FrameNumber));
    }

    [Fact]
    public void Still_images_and_single_frame_animations_have_no_frames()
    {
        var png = TestAnimations.Png(Frames[0]);
        var oneFrameGif = TestAnimations.Write(MagickFormat.Gif, [Frames[0]]);

        Assert.Null(Hasher().HashBytes(png, "still.png").Animation);
        Assert.Null(Hasher().HashBytes(oneFrameGif, "one.gif").Animation);
        Assert.Null(Hasher().HashBytes(File.ReadAllBytes(TestData.Photo("e3_exif_orientation6.jpg")), "e3.jpg").Animation);
    }

    [Fact]
    public void A_later_frame_that_is_cut_off_ends_the_frames_without_failing_the_file()
    {
        var file = TestAnimations.Write(MagickFormat.Gif, Frames);
        var cut = file.AsSpan(0, file.Length * 3 / 4).ToArray();

        var result = Hasher().HashBytes(cut, "cut.gif");

        Assert.True(result.Succeeded, result.Error);
        var animation = result.Animation!;
        Assert.True(animation.Truncated);
        Assert.InRange(animation.Frames.Count, 1, 4);
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
#endif
