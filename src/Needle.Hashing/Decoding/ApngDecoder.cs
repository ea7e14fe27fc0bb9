using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Needle.Hashing.Pdq;
using SkiaSharp;

namespace Needle.Hashing.Decoding;

/// <summary>
/// Needle's own APNG frame reader: Skia reads only an APNG's default image, and ImageMagick reads APNG through an
/// ffmpeg delegate that Needle's coder policy denies. The chunk stream is walked first (every chunk's length bounded by
/// the file and its CRC checked, every frame rectangle inside the canvas); then each frame is rebuilt as a standalone
/// PNG (the file's IHDR with the frame's size, its PLTE and tRNS, the frame's image data as one IDAT), decoded by Skia
/// and composed on the canvas as the APNG specification says (dispose NONE/BACKGROUND/PREVIOUS, blend SOURCE/OVER).
/// A damaged or cut chunk ends the frames there (the frames before it stand, <see cref="AnimationHash.Truncated"/> is
/// set), as for GIF and WebP; a frame table that contradicts itself is refused as <see cref="DecodeFailure.Corrupt"/>.
/// </summary>
internal static class ApngDecoder
{
    private const byte DisposeNone = 0;
    private const byte DisposeBackground = 1;
    private const byte DisposePrevious = 2;
    private const byte BlendSource = 0;

    /// <summary>Chunk bytes around the data: length, type, CRC.</summary>
    private const int ChunkOverhead = 12;

    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The hashed frames of an APNG, or null when <paramref name="bytes"/> is a still PNG (no acTL before its image data, or one frame).</summary>
    public static AnimationHash? Hash(ReadOnlyMemory<byte> bytes, DecodeOptions options, PdqHasher hasher, string? name, DecodeGuard guard)
    {
        var layout = Read(bytes.Span, name, guard);
        if (layout is null)
        {
            return null;
        }

        ImageDecoder.CheckDimensions(options, layout.Width, layout.Height, name);
        return Compose(bytes, layout, options, hasher, name, guard, null);
    }

    /// <summary>
    /// As <see cref="Hash"/>, also handing <paramref name="onFrame"/> a copy of the canvas (RGBA) after each frame is
    /// composed and before its disposal, so that tests can check the composition pixel by pixel.
    /// </summary>
    internal static AnimationHash? Render(ReadOnlyMemory<byte> bytes, DecodeOptions options, Action<int, byte[]> onFrame)
    {
        var guard = new DecodeGuard(TimeProvider.System, options.DecodeTimeout, CancellationToken.None);
        var layout = Read(bytes.Span, null, guard);
        return layout is null ? null : Compose(bytes, layout, options, new PdqHasher(), null, guard, onFrame);
    }

    /// <summary>Walks the chunks: the frame table and where each frame's image data lies, or null for a still PNG.</summary>
    private static ApngLayout? Read(ReadOnlySpan<byte> data, string? name, DecodeGuard guard)
    {
        if (data.Length < Signature.Length || !data[..Signature.Length].SequenceEqual(Signature))
        {
            return null;
        }

        var layout = new ApngLayout();
        var position = Signature.Length;
        var declared = 0u;
        var seenImageData = false;
        var nextSequence = 0u;
        var chunks = 0;
        ApngFrame? open = null;
        while (true)
        {
            if ((++chunks & 1023) == 0)
            {
                guard.ThrowIfShouldStop(name);
            }

            if (data.Length - position < ChunkOverhead)
            {
                return declared == 0 ? null : layout.Cut();
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(data[position..]);
            var type = data.Slice(position + 4, 4);
            if (length > (uint)(data.Length - position - ChunkOverhead))
            {
                // Longer than what is left of the file: cut (or a lying length); the frames before it stand.
                return declared == 0 ? null : layout.Cut();
            }

            var body = data.Slice(position + 8, (int)length);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(data[(position + 8 + (int)length)..]);
            if (Crc32.HashToUInt32(data.Slice(position + 4, 4 + (int)length)) != crc)
            {
                return declared == 0 ? null : layout.Cut();
            }

            var bodyOffset = position + 8;
            position += ChunkOverhead + (int)length;
            if (chunks == 1)
            {
                if (!type.SequenceEqual("IHDR"u8) || length != 13)
                {
                    return null;
                }

                layout.Header = body.ToArray();
                layout.Width = BinaryPrimitives.ReadUInt32BigEndian(body);
                layout.Height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
                continue;
            }

            if (type.SequenceEqual("acTL"u8))
            {
                if (seenImageData || length != 8 || declared != 0)
                {
                    // After the image data (or a second one): not an APNG by the specification; the still stands.
                    continue;
                }

                declared = BinaryPrimitives.ReadUInt32BigEndian(body);
                if (declared == 0)
                {
                    throw Corrupt(name, "acTL declares 0 frames");
                }
            }
            else if (declared == 0)
            {
                if (type.SequenceEqual("IDAT"u8))
                {
                    return null;
                }

                if (type.SequenceEqual("IEND"u8))
                {
                    return null;
                }
            }
            else if (type.SequenceEqual("PLTE"u8))
            {
                layout.Palette = body.ToArray();
            }
            else if (type.SequenceEqual("tRNS"u8))
            {
                layout.Transparency = body.ToArray();
            }
            else if (type.SequenceEqual("fcTL"u8))
            {
                if (length != 26)
                {
                    throw Corrupt(name, $"fcTL chunk of frame {layout.Frames.Count} is {length} bytes, not 26");
                }

                CheckSequence(body, ref nextSequence, name);
                if (open is not null)
                {
                    layout.Frames.Add(open);
                }

                if (layout.Frames.Count >= declared)
                {
                    throw Corrupt(name, $"acTL declares {declared} frames but the file holds more");
                }

                open = ReadFrameControl(body, layout, seenImageData, name);
            }
            else if (type.SequenceEqual("IDAT"u8))
            {
                seenImageData = true;

                // The default image is frame 0 only when an fcTL came before it.
                if (open is not null && layout.Frames.Count == 0)
                {
                    open.Data.Add((bodyOffset, (int)length));
                }
            }
            else if (type.SequenceEqual("fdAT"u8))
            {
                if (length < 4)
                {
                    throw Corrupt(name, "an fdAT chunk is shorter than its sequence number");
                }

                CheckSequence(body, ref nextSequence, name);
                if (open is null || !seenImageData)
                {
                    throw Corrupt(name, "an fdAT chunk comes before its frame's fcTL or before the IDAT");
                }

                open.Data.Add((bodyOffset + 4, (int)length - 4));
            }
            else if (type.SequenceEqual("IEND"u8))
            {
                if (open is not null)
                {
                    layout.Frames.Add(open);
                }

                if (layout.Frames.Count != declared)
                {
                    throw Corrupt(name, $"acTL declares {declared} frames but the file holds {layout.Frames.Count}");
                }

                return layout.Frames.Count <= 1 ? null : layout;
            }
        }
    }

    private static void CheckSequence(ReadOnlySpan<byte> body, ref uint next, string? name)
    {
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(body);
        if (sequence != next)
        {
            throw Corrupt(name, $"APNG sequence number {sequence} where {next} was expected (chunks out of order)");
        }

        next++;
    }

    private static ApngFrame ReadFrameControl(ReadOnlySpan<byte> body, ApngLayout layout, bool seenImageData, string? name)
    {
        var index = layout.Frames.Count;
        var width = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        var height = BinaryPrimitives.ReadUInt32BigEndian(body[8..]);
        var x = BinaryPrimitives.ReadUInt32BigEndian(body[12..]);
        var y = BinaryPrimitives.ReadUInt32BigEndian(body[16..]);
        var delayNumerator = BinaryPrimitives.ReadUInt16BigEndian(body[20..]);
        var delayDenominator = BinaryPrimitives.ReadUInt16BigEndian(body[22..]);
        var dispose = body[24];
        var blend = body[25];
        if (width == 0 || height == 0 || (long)x + width > layout.Width || (long)y + height > layout.Height)
        {
            throw Corrupt(name, $"frame {index} ({width}x{height} at {x},{y}) is not inside the {layout.Width}x{layout.Height} canvas");
        }

        if (index == 0 && !seenImageData && (x != 0 || y != 0 || width != layout.Width || height != layout.Height))
        {
            throw Corrupt(name, $"frame 0 is the default image but is {width}x{height} at {x},{y}, not the whole canvas");
        }

        if (dispose > DisposePrevious || blend > 1)
        {
            throw Corrupt(name, $"frame {index} has dispose_op {dispose} and blend_op {blend} (known: 0-2 and 0-1)");
        }

        // A zero denominator means hundredths of a second.
        var delay = delayNumerator / (double)(delayDenominator == 0 ? 100 : delayDenominator);
        return new ApngFrame((int)width, (int)height, (int)x, (int)y, delay, index == 0 && dispose == DisposePrevious ? DisposeBackground : dispose, blend);
    }

    private static unsafe AnimationHash Compose(
        ReadOnlyMemory<byte> bytes, ApngLayout layout, DecodeOptions options, PdqHasher hasher, string? name, DecodeGuard guard,
        Action<int, byte[]>? onFrame)
    {
        var width = (int)layout.Width;
        var height = (int)layout.Height;
        var canvasBytes = (long)width * height * 4;
        if (canvasBytes > Array.MaxLength)
        {
            throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge, $"the image is {width}x{height} pixels, too large to decode in memory");
        }

        var frames = layout.Frames;
        var frameCount = frames.Count;
        var step = AnimationDecoder.SampleStep(frameCount, options.MaxFrames);
        var needsPrevious = false;
        var largestData = 0L;
        foreach (var frame in frames)
        {
            needsPrevious |= frame.Dispose == DisposePrevious;
            var total = 0L;
            foreach (var (_, length) in frame.Data)
            {
                total += length;
            }

            largestData = Math.Max(largestData, total);
        }

        var plan = SamplingPlan.Create(width, height, SKEncodedOrigin.TopLeft, options.ResampleSize);
        var outputBytes = (long)plan.OutputWidth * plan.OutputHeight * 3;
        using var reservation = options.MemoryBudget.Reserve((needsPrevious ? 3 : 2) * canvasBytes + outputBytes, guard, name);
        using var canvas = PixelBuffer.Rent((int)canvasBytes, managed: false);
        using var frameBuffer = PixelBuffer.Rent((int)canvasBytes, managed: false);
        using var previous = needsPrevious ? PixelBuffer.Rent((int)canvasBytes, managed: false) : null;
        canvas.Span.Clear();
        var png = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, largestData + 128 + (layout.Palette?.Length ?? 0) + (layout.Transparency?.Length ?? 0)));
        try
        {
            var hashed = new List<AnimationFrame>(Math.Min(frameCount, options.MaxFrames));
            var decodedPixels = 0L;
            var timestamp = 0.0;
            var truncated = layout.Truncated;
            for (var i = 0; i < frameCount; i++)
            {
                guard.ThrowIfShouldStop(name);
                if (decodedPixels + ((long)width * height) > options.MaxAnimationPixels)
                {
                    truncated = true;
                    break;
                }

                var frame = frames[i];
                var pngLength = BuildFramePng(bytes.Span, layout, frame, png);
                decodedPixels += (long)width * height;
                if (!DecodeFrame(png.AsMemory(0, pngLength), frame, frameBuffer, guard, name))
                {
                    // A frame whose data does not decode: the frames before it stand, the rest is not hashed.
                    truncated = true;
                    break;
                }

                if (frame.Dispose == DisposePrevious)
                {
                    CopyRect(canvas.Span, previous!.Span, width, frame);
                }

                Blend(canvas.Span, frameBuffer.Span, width, frame);
                onFrame?.Invoke(i, canvas.Span.ToArray());
                if (i % step == 0)
                {
                    hashed.Add(new AnimationFrame(i, Math.Round(timestamp, 3), AnimationDecoder.HashCanvas(canvas.Span, width, height, plan, hasher)));
                }

                timestamp += frame.Delay;
                if (frame.Dispose == DisposeBackground)
                {
                    for (var row = 0; row < frame.Height; row++)
                    {
                        canvas.Span.Slice((((frame.Y + row) * width) + frame.X) * 4, frame.Width * 4).Clear();
                    }
                }
                else if (frame.Dispose == DisposePrevious)
                {
                    CopyRect(previous!.Span, canvas.Span, width, frame);
                }
            }

            return new AnimationHash { Frames = hashed, FrameCount = frameCount, Duration = Math.Round(timestamp, 3), Truncated = truncated };
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(png);
        }
    }

    /// <summary>The frame as a standalone PNG: signature, IHDR with the frame's size, PLTE, tRNS, one IDAT, IEND.</summary>
    private static int BuildFramePng(ReadOnlySpan<byte> file, ApngLayout layout, ApngFrame frame, byte[] output)
    {
        var span = output.AsSpan();
        Signature.CopyTo(span);
        var position = Signature.Length;
        var header = (byte[])layout.Header.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)frame.Width);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), (uint)frame.Height);
        position = WriteChunk(span, position, "IHDR"u8, header);
        if (layout.Palette is { } palette)
        {
            position = WriteChunk(span, position, "PLTE"u8, palette);
        }

        if (layout.Transparency is { } transparency)
        {
            position = WriteChunk(span, position, "tRNS"u8, transparency);
        }

        var dataStart = position;
        position += 8;
        foreach (var (offset, length) in frame.Data)
        {
            file.Slice(offset, length).CopyTo(span[position..]);
            position += length;
        }

        var dataLength = position - dataStart - 8;
        BinaryPrimitives.WriteUInt32BigEndian(span[dataStart..], (uint)dataLength);
        "IDAT"u8.CopyTo(span[(dataStart + 4)..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[position..], Crc32.HashToUInt32(span.Slice(dataStart + 4, 4 + dataLength)));
        position += 4;
        return WriteChunk(span, position, "IEND"u8, []);
    }

    private static int WriteChunk(Span<byte> output, int position, ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output[position..], (uint)body.Length);
        type.CopyTo(output[(position + 4)..]);
        body.CopyTo(output[(position + 8)..]);
        BinaryPrimitives.WriteUInt32BigEndian(output[(position + 8 + body.Length)..], Crc32.HashToUInt32(output.Slice(position + 4, 4 + body.Length)));
        return position + ChunkOverhead + body.Length;
    }

    /// <summary>Decodes the frame PNG into <paramref name="target"/> as unpremultiplied RGBA, rows packed; false when it does not decode whole.</summary>
    private static unsafe bool DecodeFrame(ReadOnlyMemory<byte> png, ApngFrame frame, PixelBuffer target, DecodeGuard guard, string? name)
    {
        var stream = new GuardedSkiaStream(png, guard);
        try
        {
            using var codec = SKCodec.Create(stream, out _);
            if (codec is null || codec.Info.Width != frame.Width || codec.Info.Height != frame.Height)
            {
                guard.ThrowIfStopped(name);
                return false;
            }

            var info = new SKImageInfo(frame.Width, frame.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            SKCodecResult result;
            fixed (byte* pixels = target.Span)
            {
                result = codec.GetPixels(info, (IntPtr)pixels);
            }

            guard.ThrowIfStopped(name);
            return result == SKCodecResult.Success;
        }
        finally
        {
            GC.KeepAlive(stream);
            stream.Dispose();
        }
    }

    /// <summary>Copies the frame's rectangle between two canvas-sized buffers (saving or restoring for dispose PREVIOUS).</summary>
    private static void CopyRect(ReadOnlySpan<byte> from, Span<byte> to, int canvasWidth, ApngFrame frame)
    {
        for (var row = 0; row < frame.Height; row++)
        {
            var offset = (((frame.Y + row) * canvasWidth) + frame.X) * 4;
            from.Slice(offset, frame.Width * 4).CopyTo(to[offset..]);
        }
    }

    /// <summary>Puts the decoded frame on the canvas at its offset: SOURCE replaces, OVER alpha-composes (unpremultiplied).</summary>
    private static void Blend(Span<byte> canvas, ReadOnlySpan<byte> source, int canvasWidth, ApngFrame frame)
    {
        var rowBytes = frame.Width * 4;
        for (var row = 0; row < frame.Height; row++)
        {
            var src = source.Slice(row * rowBytes, rowBytes);
            var dst = canvas.Slice((((frame.Y + row) * canvasWidth) + frame.X) * 4, rowBytes);
            if (frame.Blend == BlendSource)
            {
                src.CopyTo(dst);
                continue;
            }

            for (var p = 0; p < rowBytes; p += 4)
            {
                int sa = src[p + 3];
                if (sa == 255)
                {
                    src.Slice(p, 4).CopyTo(dst[p..]);
                    continue;
                }

                if (sa == 0)
                {
                    continue;
                }

                int da = dst[p + 3];

                // Scaled by 255 * 255: out alpha = sa + da (1 - sa); out colour = (sc sa + dc da (1 - sa)) / out alpha.
                var outAlpha = (sa * 255) + (da * (255 - sa));
                for (var c = 0; c < 3; c++)
                {
                    dst[p + c] = (byte)(((src[p + c] * sa * 255) + (dst[p + c] * da * (255 - sa)) + (outAlpha / 2)) / outAlpha);
                }

                dst[p + 3] = (byte)((outAlpha + 127) / 255);
            }
        }
    }

    private static ImageDecodeException Corrupt(string? name, string message) => new(name, DecodeFailure.Corrupt, message);

    /// <summary>One frame: its rectangle, delay (seconds), disposal and blending, and where its image data lies in the file.</summary>
    private sealed record ApngFrame(int Width, int Height, int X, int Y, double Delay, byte Dispose, byte Blend)
    {
        public List<(int Offset, int Length)> Data { get; } = [];
    }

    private sealed class ApngLayout
    {
        public byte[] Header { get; set; } = [];

        public uint Width { get; set; }

        public uint Height { get; set; }

        public byte[]? Palette { get; set; }

        public byte[]? Transparency { get; set; }

        public List<ApngFrame> Frames { get; } = [];

        public bool Truncated { get; private set; }

        /// <summary>The stream ends or breaks here: the frame being read is dropped, the complete ones stand.</summary>
        public ApngLayout? Cut()
        {
            Truncated = true;
            return Frames.Count == 0 ? null : this;
        }
    }
}
