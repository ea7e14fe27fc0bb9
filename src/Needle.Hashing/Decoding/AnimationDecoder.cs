using Needle.Hashing.Pdq;
using SkiaSharp;

namespace Needle.Hashing.Decoding;

/// <summary>
/// Hashes every frame (or an evenly spaced sample) of an animated GIF, WebP or PNG (APNG), the way a short video's
/// frames are hashed for vPDQ: for GIF and WebP Skia's codec composes each frame on one canvas over the frames it
/// depends on; APNG, which Skia reads only as its default image, goes to Needle's own <see cref="ApngDecoder"/>. The same limits apply as to a still image (header size, memory budget, time
/// and cancellation), plus <see cref="DecodeOptions.MaxFrames"/> and <see cref="DecodeOptions.MaxAnimationPixels"/>.
/// </summary>
internal static class AnimationDecoder
{
    /// <summary>
    /// The hashed frames of an animation, or null when <paramref name="bytes"/> is not one (a still image, a single-frame
    /// GIF, WebP or APNG, a PNG without an acTL chunk before its image data).
    /// </summary>
    public static AnimationHash? Hash(
        ReadOnlyMemory<byte> bytes, DecodeOptions options, TimeProvider timeProvider, PdqHasher hasher, string? name, CancellationToken cancellationToken)
    {
        var head = bytes.Span[..Math.Min(bytes.Length, ImageSniffer.HeaderBytes)];
        var format = ImageSniffer.Sniff(head).Format;
        var guard = new DecodeGuard(timeProvider, options.DecodeTimeout, cancellationToken);
        return format switch
        {
            ImageFormat.Gif or ImageFormat.Webp => HashWithSkia(bytes, format, options, hasher, name, guard),
            ImageFormat.Png => ApngDecoder.Hash(bytes, options, hasher, name, guard),
            _ => null,
        };
    }

    /// <summary>Every n-th frame is hashed so that at most <see cref="DecodeOptions.MaxFrames"/> are.</summary>
    internal static int SampleStep(int frameCount, int maxFrames) => Math.Max(1, (frameCount + maxFrames - 1) / Math.Max(1, maxFrames));

    private static unsafe AnimationHash? HashWithSkia(
        ReadOnlyMemory<byte> bytes, ImageFormat format, DecodeOptions options, PdqHasher hasher, string? name, DecodeGuard guard)
    {
        var stream = new GuardedSkiaStream(bytes, guard);
        try
        {
            using var codec = SKCodec.Create(stream, out _);
            if (codec is null || codec.FrameCount <= 1)
            {
                guard.ThrowIfStopped(name);
                return null;
            }

            var width = codec.Info.Width;
            var height = codec.Info.Height;
            ImageDecoder.CheckDimensions(options, width, height, name);
            var infos = codec.FrameInfo;
            var frameCount = infos.Length;
            var step = SampleStep(frameCount, options.MaxFrames);
            var canvasBytes = (long)width * height * 4;
            if (canvasBytes > Array.MaxLength)
            {
                throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge, $"the image is {width}x{height} pixels, too large to decode in memory");
            }

            var plan = SamplingPlan.Create(width, height, SKEncodedOrigin.TopLeft, options.ResampleSize);
            var outputBytes = (long)plan.OutputWidth * plan.OutputHeight * 3;
            using var reservation = options.MemoryBudget.Reserve(canvasBytes + outputBytes, guard, name);
            using var canvas = PixelBuffer.Rent((int)canvasBytes, managed: false);
            var frames = new List<AnimationFrame>(Math.Min(frameCount, options.MaxFrames));
            var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            var decodedPixels = 0L;
            var timestamp = 0.0;
            var truncated = false;
            for (var i = 0; i < frameCount; i++)
            {
                guard.ThrowIfShouldStop(name);
                if (decodedPixels + ((long)width * height) > options.MaxAnimationPixels)
                {
                    truncated = true;
                    break;
                }

                // The canvas holds frame i - 1: build on it when frame i depends on it (Skia applies i - 1's disposal);
                // otherwise Skia composes the frames i needs itself, on a cleared canvas.
                var required = infos[i].RequiredFrame;
                var prior = required >= 0 && i > 0 && infos[i - 1].DisposalMethod != SKCodecAnimationDisposalMethod.RestorePrevious ? i - 1 : -1;
                if (prior < 0)
                {
                    canvas.Span.Clear();
                }

                var codecOptions = new SKCodecOptions(i, prior) { ZeroInitialized = prior < 0 ? SKZeroInitialized.Yes : SKZeroInitialized.No };
                SKCodecResult result;
                fixed (byte* pixels = canvas.Span)
                {
                    result = codec.GetPixels(info, (IntPtr)pixels, width * 4, codecOptions);
                }

                guard.ThrowIfStopped(name);
                decodedPixels += (long)width * height;
                if (result != SKCodecResult.Success)
                {
                    // A damaged or cut later frame: the frames before it stand, the rest is reported as not hashed.
                    truncated = true;
                    break;
                }

                if (i % step == 0)
                {
                    frames.Add(new AnimationFrame(i, Math.Round(timestamp, 3), HashCanvas(canvas.Span, width, height, plan, hasher)));
                }

                timestamp += Math.Max(0, infos[i].Duration) / 1000.0;
            }

            return new AnimationHash { Frames = frames, FrameCount = frameCount, Duration = Math.Round(timestamp, 3), Truncated = truncated };
        }
        finally
        {
            GC.KeepAlive(stream);
            stream.Dispose();
        }
    }

    /// <summary>Hashes the RGBA canvas as the still path would (grey when R = G = B everywhere, then the reference's stretch), leaving it intact.</summary>
    internal static PdqResult HashCanvas(ReadOnlySpan<byte> rgba, int width, int height, SamplingPlan plan, PdqHasher hasher)
    {
        var grey = PixelOps.IsGrey(rgba);
        var layout = grey ? PixelLayout.Gray8 : PixelLayout.Rgb24;
        var bytesPerPixel = (int)layout;
        var outputLength = plan.OutputWidth * plan.OutputHeight * bytesPerPixel;
        var output = DecodeBuffers.Rent(outputLength);
        try
        {
            if (plan.IsIdentity)
            {
                if (grey)
                {
                    PixelOps.RgbaToGrey(rgba, output);
                }
                else
                {
                    PixelOps.RgbaToRgb(rgba, output);
                }
            }
            else
            {
                var rowBytes = width * 4;
                for (var line = 0; line < plan.LineCount; line++)
                {
                    plan.EmitLine(line, rgba.Slice(plan.LineSourceRow[line] * rowBytes, rowBytes), output, bytesPerPixel);
                }
            }

            return hasher.Hash(output.AsSpan(0, outputLength), plan.IsIdentity ? width : plan.OutputWidth, plan.IsIdentity ? height : plan.OutputHeight, layout);
        }
        finally
        {
            DecodeBuffers.Return(output);
        }
    }
}
