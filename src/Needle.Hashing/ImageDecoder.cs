using Microsoft.Win32.SafeHandles;
using Needle.Hashing.Decoding;
using SkiaSharp;

namespace Needle.Hashing;

/// <summary>
/// Decodes image files to 8-bit pixels the way Meta's reference PDQ hasher sees them: stored RGB with alpha ignored,
/// no colour management, EXIF orientation ignored (unless <see cref="DecodeOptions.AutoOrient"/>), 16-bit samples
/// reduced properly to 8 bits, all-grey images as <see cref="PixelLayout.Gray8"/>, and images with a side over
/// <see cref="DecodeOptions.ResampleSize"/> stretched to a square by nearest-neighbour sampling.
/// </summary>
/// <remarks>
/// Hostile input is refused before pixel memory is allocated (file size, header dimensions), and a decode is stopped
/// when it exceeds <see cref="DecodeOptions.DecodeTimeout"/> or is cancelled. Instances are immutable and thread-safe.
/// </remarks>
public sealed class ImageDecoder
{
    /// <summary>Files up to this size are read into one pooled buffer (one read call); larger ones are streamed.</summary>
    private const int WholeFileReadLimit = 16 * 1024 * 1024;

    /// <summary>JPEG scanline decoding decodes this many bytes of rows per native call.</summary>
    private const int ScanlineBatchBytes = 256 * 1024;

    private readonly TimeProvider _timeProvider;

    /// <summary>A decoder applying <paramref name="options"/>.</summary>
    /// <param name="options">The limits and choices; null for <see cref="DecodeOptions.Default"/>. Every limit must be positive.</param>
    /// <param name="timeProvider">The clock for <see cref="DecodeOptions.DecodeTimeout"/>; null for the system clock.</param>
    public ImageDecoder(DecodeOptions? options = null, TimeProvider? timeProvider = null)
    {
        Options = options ?? DecodeOptions.Default;
        _timeProvider = timeProvider ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxPixels, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxDimension, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Options.MaxFileBytes, nameof(options));
        if (Options.ResampleSize is { } size)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size, nameof(options));
        }
    }

    /// <summary>The limits and choices this decoder applies.</summary>
    public DecodeOptions Options { get; }

    /// <summary>
    /// Whether this build has the second decoder (Magick.NET, for HEIC/HEIF, AVIF, TIFF, JPEG XL, PSD and camera raw) and it runs under Needle's coder policy. Reading it initialises ImageMagick with that policy; a host
    /// that also uses Magick.NET itself must read it first, or the second decoder stays disabled (fails closed).
    /// </summary>
#if NEEDLE_MAGICK
    public static bool SecondDecoderAvailable => MagickEnvironment.PolicyInForce;
#else
    public static bool SecondDecoderAvailable => false;
#endif

    /// <summary>The clock for <see cref="DecodeOptions.DecodeTimeout"/>.</summary>
    internal TimeProvider TimeProvider => _timeProvider;

    /// <summary>Decodes the file at <paramref name="path"/>.</summary>
    /// <exception cref="ImageDecodeException">The file cannot be read or decoded; the message starts with the path.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public DecodedImage Decode(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        cancellationToken.ThrowIfCancellationRequested();

        using var handle = OpenForReading(path);
        long length;
        try
        {
            length = RandomAccess.GetLength(handle);
        }
        catch (IOException e)
        {
            throw new ImageDecodeException(path, DecodeFailure.Unreadable, $"the file could not be read ({e.Message})", e);
        }

        CheckLength(length, path);
        if (length <= WholeFileReadLimit)
        {
            var buffer = DecodeBuffers.Rent((int)length);
            try
            {
                var read = ReadFully(handle, buffer.AsSpan(0, (int)length), path);
                return DecodeBytes(buffer.AsMemory(0, read), path, cancellationToken);
            }
            finally
            {
                DecodeBuffers.Return(buffer);
            }
        }

        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 64 * 1024);
        return DecodeSeekable(stream, length, path, cancellationToken);
    }

    /// <summary>Decodes the bytes of an image held in memory (for example bytes already read to compute <see cref="FileDigests"/>).</summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="nameForErrors">Named in error messages, usually the path.</param>
    /// <param name="cancellationToken">Stops the decode.</param>
    /// <exception cref="ImageDecodeException">The bytes cannot be decoded.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public DecodedImage Decode(ReadOnlyMemory<byte> bytes, string? nameForErrors = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        CheckLength(bytes.Length, nameForErrors);
        return DecodeBytes(bytes, nameForErrors, cancellationToken);
    }

    /// <summary>Decodes a file already read by <see cref="FileContents.Read"/>.</summary>
    public DecodedImage Decode(FileContents file, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(file);
        return Decode(file.Bytes, file.Path, cancellationToken);
    }

    /// <summary>
    /// Decodes an image from <paramref name="stream"/>, from its current position to its end. A seekable stream is read
    /// in place; any other stream is first copied to a pooled buffer (at most <see cref="DecodeOptions.MaxFileBytes"/>).
    /// The stream is not disposed.
    /// </summary>
    /// <exception cref="ImageDecodeException">The stream cannot be read or decoded.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public DecodedImage Decode(Stream stream, string? nameForErrors = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        cancellationToken.ThrowIfCancellationRequested();
        if (stream.CanSeek)
        {
            long remaining;
            try
            {
                remaining = Math.Max(0, stream.Length - stream.Position);
            }
            catch (IOException e)
            {
                throw new ImageDecodeException(nameForErrors, DecodeFailure.Unreadable, $"the stream could not be read ({e.Message})", e);
            }

            CheckLength(remaining, nameForErrors);
            return DecodeSeekable(stream, remaining, nameForErrors, cancellationToken);
        }

        using var contents = FileContents.ReadStream(stream, nameForErrors, Options.MaxFileBytes, cancellationToken);
        return Decode(contents.Bytes, nameForErrors, cancellationToken);
    }

    /// <summary>
    /// Decodes an image to show it (a review thumbnail or reveal), at most <paramref name="maxSide"/> pixels on its
    /// longer side, with the same limits as hashing: file size, header dimensions, truncation, time-out and the
    /// <see cref="DecodeOptions.MemoryBudget"/>. A JPEG (or WebP) is decoded at a reduced scale when it is larger; the
    /// result is scaled with linear filtering and mipmaps, transparent pixels shown over mid-grey, always
    /// <see cref="PixelLayout.Rgb24"/>, EXIF orientation not applied.
    /// </summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="maxSide">Longest side of the result, in pixels; positive.</param>
    /// <param name="nameForErrors">Named in error messages; null for none.</param>
    /// <param name="cancellationToken">Stops the decode.</param>
    /// <exception cref="ImageDecodeException">The bytes cannot be decoded, or the image is over a limit.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public DecodedImage DecodeForDisplay(ReadOnlyMemory<byte> bytes, int maxSide, string? nameForErrors = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxSide);
        cancellationToken.ThrowIfCancellationRequested();
        CheckLength(bytes.Length, nameForErrors);
        return DecodeBytes(bytes, nameForErrors, cancellationToken, maxSide);
    }

    private static SafeFileHandle OpenForReading(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ImageDecodeException(path, DecodeFailure.Unreadable, "no such file or folder", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ImageDecodeException(path, DecodeFailure.Unreadable,
                Directory.Exists(path) ? "this is a folder, not a file" : "permission to read the file was denied", e);
        }
        catch (Exception e) when (e is IOException or NotSupportedException or ArgumentException)
        {
            throw new ImageDecodeException(path, DecodeFailure.Unreadable, $"the file could not be opened ({e.Message})", e);
        }
    }

    internal static int ReadFully(SafeFileHandle handle, Span<byte> destination, string path)
    {
        var total = 0;
        try
        {
            while (total < destination.Length)
            {
                var read = RandomAccess.Read(handle, destination[total..], total);
                if (read == 0)
                {
                    break; // The file shrank while being read; decode what is there.
                }

                total += read;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, DecodeFailure.Unreadable, $"the file could not be read ({e.Message})", e);
        }

        return total;
    }

    private void CheckLength(long length, string? name)
    {
        if (length == 0)
        {
            throw new ImageDecodeException(name, DecodeFailure.Empty, "the file is empty");
        }

        if (length > Options.MaxFileBytes)
        {
            throw new ImageDecodeException(name, DecodeFailure.FileTooLarge,
                $"the file is {length:N0} bytes, more than the limit of {Options.MaxFileBytes:N0} bytes");
        }
    }

    private DecodedImage DecodeBytes(ReadOnlyMemory<byte> bytes, string? name, CancellationToken cancellationToken, int? display = null)
    {
        if (bytes.IsEmpty)
        {
            throw new ImageDecodeException(name, DecodeFailure.Empty, "the file is empty");
        }

        var header = ImageSniffer.Sniff(bytes.Span[..Math.Min(bytes.Length, ImageSniffer.HeaderBytes)]);
        var guard = new DecodeGuard(_timeProvider, Options.DecodeTimeout, cancellationToken);
        if (header.IsMagickFormat)
        {
            return DecodeWithMagick(bytes.Span, header, name, guard, display);
        }

        return DecodeWithSkia(new GuardedSkiaStream(bytes, guard), header, name, guard, display);
    }

    private DecodedImage DecodeSeekable(Stream stream, long length, string? name, CancellationToken cancellationToken)
    {
        var guard = new DecodeGuard(_timeProvider, Options.DecodeTimeout, cancellationToken);
        Span<byte> head = stackalloc byte[ImageSniffer.HeaderBytes];
        int headLength;
        long origin;
        try
        {
            origin = stream.Position;
            headLength = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            stream.Position = origin;
        }
        catch (IOException e)
        {
            throw new ImageDecodeException(name, DecodeFailure.Unreadable, $"the file could not be read ({e.Message})", e);
        }

        var header = ImageSniffer.Sniff(head[..headLength]);
        if (header.IsMagickFormat)
        {
            // ImageMagick reads a whole file at once: copy it (it is within MaxFileBytes) and decode the copy.
            using var contents = FileContents.ReadStream(stream, name, Options.MaxFileBytes, cancellationToken);
            return DecodeWithMagick(contents.Bytes.Span, header, name, guard, display: null);
        }

        var skiaStream = new GuardedSkiaStream(stream, length, guard);
        try
        {
            return DecodeWithSkia(skiaStream, header, name, guard);
        }
        catch (ImageDecodeException) when (skiaStream.ReadError is { } readError)
        {
            throw new ImageDecodeException(name, DecodeFailure.Unreadable, $"the file could not be read ({readError.Message})", readError);
        }
    }

    /// <summary>
    /// HEIF/HEIC, AVIF, TIFF, JPEG XL, PSD and camera raw go to the second decoder (Magick.NET), with the same limits;
    /// a build without it (<c>NeedleMagick=false</c>) refuses them as unsupported.
    /// </summary>
    private DecodedImage DecodeWithMagick(ReadOnlySpan<byte> bytes, SniffedHeader header, string? name, DecodeGuard guard, int? display)
    {
#if NEEDLE_MAGICK
        using var read = MagickDecoder.Read(bytes, header, Options, name, guard, (width, height) => EstimateMagickOutputBytes(width, height, display));
        var length = read.Width * read.Height * 4;
        if (display is { } maxSide)
        {
            var (outWidth, outHeight) = DisplaySize(read.Width, read.Height, maxSide);
            return FinishForDisplay(read.Rgba.AsSpan(0, length), read.Width, read.Height, outWidth, outHeight, read.Width, read.Height, read.Format, name);
        }

        var applied = Options.AutoOrient ? (SKEncodedOrigin)read.ExifOrientation : SKEncodedOrigin.TopLeft;
        var plan = SamplingPlan.Create(read.Width, read.Height, applied, Options.ResampleSize);
        var decoded = new PixelsDecoded(read.Width, read.Height, read.Width, read.Height, read.Format, read.ExifOrientation, read.BitsPerSample, false);
        return FinishPixels(read.Rgba.AsSpan(0, length), () => read.Rgba, detachedIsPooled: false, plan, decoded);
#else
        _ = bytes.Length;
        _ = Options;
        guard.ThrowIfShouldStop(name);
        _ = display;
        throw new ImageDecodeException(name, DecodeFailure.UnsupportedFormat, header.UnsupportedReason ?? "this format is not supported");
#endif
    }

#if NEEDLE_MAGICK
    private long EstimateMagickOutputBytes(long width, long height, int? display)
    {
        var pixels = width * height;
        if (display is { } maxSide)
        {
            return Math.Min(pixels, (long)maxSide * maxSide) * 7;
        }

        return Options.ResampleSize is { } size ? Math.Min(pixels, (long)size * size) * 3 : 0;
    }

    private static (int Width, int Height) DisplaySize(int width, int height, int maxSide)
    {
        var scale = Math.Min(1.0, maxSide / (double)Math.Max(width, height));
        return (Math.Max(1, (int)Math.Round(width * scale)), Math.Max(1, (int)Math.Round(height * scale)));
    }
#endif

    private DecodedImage DecodeWithSkia(GuardedSkiaStream skiaStream, SniffedHeader header, string? name, DecodeGuard guard, int? display = null)
    {
        // Refuse oversized images from the header bytes before Skia parses anything (PNG, GIF, BMP).
        if (header.HasSize)
        {
            CheckDimensions(header.Width, header.Height, name);
        }

        // A file shorter than its own headers say is truncated, whatever the codec would make of it.
        var container = ContainerChecks.Inspect(header.Format, skiaStream.ImageLength, skiaStream.CopyAt);
        if (container.Truncation is { } shortBy)
        {
            throw Truncated(name, shortBy);
        }

        try
        {
            // The codec takes ownership of the native stream; the managed wrapper is kept alive until the codec is gone.
            using var codec = SKCodec.Create(skiaStream, out var createResult);
            if (codec is null)
            {
                guard.ThrowIfStopped(name);
                throw CreateFailure(header, createResult, name);
            }

            var info = codec.Info;
            CheckDimensions(info.Width, info.Height, name);
            guard.ThrowIfShouldStop(name);
            var format = ToImageFormat(codec.EncodedFormat);
            if (format == ImageFormat.Jpeg && skiaStream.Memory is { } jpegBytes)
            {
                VerifyJpegScans(jpegBytes, name, guard);
            }

            DecodedImage image;
            try
            {
                image = DecodePixels(codec, format, container.IncompleteIsDamage, header, name, guard, display);
            }
            catch (ImageDecodeException e) when (e.Failure == DecodeFailure.Corrupt && format == ImageFormat.Jpeg && skiaStream.Memory is null)
            {
                // A streamed JPEG that libjpeg gave up on: say "truncated" when that is why.
                VerifyStreamedJpegScans(skiaStream, name, guard);
                throw;
            }

            if (format == ImageFormat.Jpeg && skiaStream.Memory is null)
            {
                // Streamed: the scans are checked after the decode, from a copy of the bytes.
                try
                {
                    VerifyStreamedJpegScans(skiaStream, name, guard);
                }
                catch
                {
                    image.Dispose();
                    throw;
                }
            }

            return image;
        }
        finally
        {
            GC.KeepAlive(skiaStream);
            skiaStream.Dispose();
        }
    }

    private DecodedImage DecodePixels(SKCodec codec, ImageFormat format, bool incompleteIsDamage, SniffedHeader header, string? name, DecodeGuard guard, int? display)
    {
        {
            var info = codec.Info;
            if (display is not null)
            {
                return DecodeForDisplay(codec, format, incompleteIsDamage, display.Value, name, guard);
            }

            var storedOrigin = codec.EncodedOrigin;
            var exifOrientation = storedOrigin is >= SKEncodedOrigin.TopLeft and <= SKEncodedOrigin.LeftBottom ? (int)storedOrigin : 1;
            var appliedOrigin = Options.AutoOrient ? (SKEncodedOrigin)exifOrientation : SKEncodedOrigin.TopLeft;

            // --fast-jpeg: decode a JPEG that will be stretched at a reduced DCT scale; the stretch then samples the
            // scaled image. The scale is symmetric in both axes, so it does not depend on the orientation.
            var decodeSize = format == ImageFormat.Jpeg && Options.FastJpegScaling
                ? ChooseJpegScale(codec, info.Width, info.Height, Options.ResampleSize)
                : new SKSizeI(info.Width, info.Height);
            var plan = SamplingPlan.Create(decodeSize.Width, decodeSize.Height, appliedOrigin, Options.ResampleSize);
            var decoded = new PixelsDecoded(info.Width, info.Height, decodeSize.Width, decodeSize.Height, format, exifOrientation,
                format == ImageFormat.Png ? header.BitsPerSample : 8, incompleteIsDamage);

            // A JPEG that is being sampled down is decoded row by row, so its full-size pixels are never held.
            if (format == ImageFormat.Jpeg && !plan.IsIdentity &&
                (long)plan.OutputWidth * plan.OutputHeight < (long)decodeSize.Width * decodeSize.Height &&
                TryDecodeJpegByScanlines(codec, plan, decoded, name, guard) is { } sampled)
            {
                return sampled;
            }

            return DecodeWholeImage(codec, plan, decoded, name, guard);
        }
    }

    private unsafe DecodedImage DecodeWholeImage(SKCodec codec, SamplingPlan plan, PixelsDecoded decoded, string? name, DecodeGuard guard)
    {
        var width = decoded.DecodeWidth;
        var height = decoded.DecodeHeight;
        var rgbaLength = (long)width * height * 4;
        if (rgbaLength > Array.MaxLength)
        {
            throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge,
                $"the image is {width}x{height} pixels, too large to decode in memory");
        }

        using var reservation = Options.MemoryBudget.Reserve(rgbaLength + EstimateOutputBytes(plan), guard, name);
        using var rgba = PixelBuffer.Rent((int)rgbaLength, managed: plan.IsIdentity);
        {
            var rgbaSpan = rgba.Span;

            // Rented memory holds old pixels. A successful JPEG or PNG decode writes every row; other formats
            // (a GIF frame smaller than its canvas, RLE BMP skips) may leave pixels alone, so those start from zero.
            var writesEveryPixel = decoded.Format is ImageFormat.Jpeg or ImageFormat.Png;
            if (!writesEveryPixel)
            {
                rgbaSpan.Clear();
            }

            var options = new SKCodecOptions(writesEveryPixel ? SKZeroInitialized.No : SKZeroInitialized.Yes)
            {
                FrameIndex = 0,
                PriorFrame = -1,
            };
            SKCodecResult result;
            fixed (byte* pixels = rgbaSpan)
            {
                result = codec.GetPixels(RgbaInfo(width, height), (IntPtr)pixels, width * 4, options);
            }

            guard.ThrowIfStopped(name);
            if (result != SKCodecResult.Success)
            {
                throw DecodeFailed(result, decoded.Format, decoded.IncompleteIsDamage, name);
            }

            guard.ThrowIfShouldStop(name);
            return FinishPixels(rgbaSpan, rgba.DetachArray, detachedIsPooled: true, plan, decoded);
        }
    }

    /// <summary>
    /// Turns the decoded RGBA of the whole (decode-size) image into the hashed pixels: grey or RGB, sampled by
    /// <paramref name="plan"/>. When the plan is the identity the RGBA buffer itself is converted in place and handed
    /// over (<paramref name="detach"/>), so no second full-size copy is made.
    /// </summary>
    private static DecodedImage FinishPixels(Span<byte> rgbaSpan, Func<byte[]> detach, bool detachedIsPooled, SamplingPlan plan, PixelsDecoded decoded)
    {
        var width = decoded.DecodeWidth;
        var grey = PixelOps.IsGrey(rgbaSpan);
        var layout = grey ? PixelLayout.Gray8 : PixelLayout.Rgb24;
        if (plan.IsIdentity)
        {
            if (grey)
            {
                PixelOps.RgbaToGrey(rgbaSpan, rgbaSpan);
            }
            else
            {
                PixelOps.RgbaToRgb(rgbaSpan, rgbaSpan);
            }

            return decoded.ToImage(detach(), width, decoded.DecodeHeight, layout, detachedIsPooled);
        }

        var bytesPerPixel = (int)layout;
        var output = DecodeBuffers.Rent(plan.OutputWidth * plan.OutputHeight * bytesPerPixel);
        var outputSpan = output.AsSpan();
        var rowBytes = width * 4;
        for (var line = 0; line < plan.LineCount; line++)
        {
            var row = rgbaSpan.Slice(plan.LineSourceRow[line] * rowBytes, rowBytes);
            plan.EmitLine(line, row, outputSpan, bytesPerPixel);
        }

        return decoded.ToImage(output, plan.OutputWidth, plan.OutputHeight, layout);
    }

    /// <summary>Decodes at the smallest size the codec can produce that still covers <paramref name="maxSide"/>, then scales to fit it.</summary>
    private unsafe DecodedImage DecodeForDisplay(SKCodec codec, ImageFormat format, bool incompleteIsDamage, int maxSide, string? name, DecodeGuard guard)
    {
        var full = codec.Info;
        var longest = Math.Max(full.Width, full.Height);
        var size = new SKSizeI(full.Width, full.Height);
        if (longest > maxSide)
        {
            var scaled = codec.GetScaledDimensions(maxSide / (float)longest);
            if (Math.Max(scaled.Width, scaled.Height) >= maxSide && scaled.Width <= full.Width && scaled.Height <= full.Height &&
                scaled.Width > 0 && scaled.Height > 0)
            {
                size = scaled;
            }
        }

        var scale = Math.Min(1.0, maxSide / (double)Math.Max(size.Width, size.Height));
        var outWidth = Math.Max(1, (int)Math.Round(size.Width * scale));
        var outHeight = Math.Max(1, (int)Math.Round(size.Height * scale));
        var rgbaLength = (long)size.Width * size.Height * 4;
        if (rgbaLength > Array.MaxLength)
        {
            throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge,
                $"the image is {size.Width}x{size.Height} pixels, too large to decode in memory");
        }

        var outPixels = (long)outWidth * outHeight;
        using var reservation = Options.MemoryBudget.Reserve(rgbaLength + (outPixels * 7), guard, name);
        using var rgba = PixelBuffer.Rent((int)rgbaLength, managed: false);
        {
            var writesEveryPixel = format is ImageFormat.Jpeg or ImageFormat.Png;
            if (!writesEveryPixel)
            {
                rgba.Span.Clear();
            }

            var options = new SKCodecOptions(writesEveryPixel ? SKZeroInitialized.No : SKZeroInitialized.Yes) { FrameIndex = 0, PriorFrame = -1 };
            SKCodecResult result;
            fixed (byte* pixels = rgba.Span)
            {
                result = codec.GetPixels(RgbaInfo(size.Width, size.Height), (IntPtr)pixels, size.Width * 4, options);
            }

            guard.ThrowIfStopped(name);
            if (result != SKCodecResult.Success)
            {
                throw DecodeFailed(result, format, incompleteIsDamage, name);
            }

            guard.ThrowIfShouldStop(name);
            return FinishForDisplay(rgba.Span, size.Width, size.Height, outWidth, outHeight, full.Width, full.Height, format, name);
        }
    }

    /// <summary>Shows decoded RGBA: transparent pixels over mid-grey, scaled to <paramref name="outWidth"/> x <paramref name="outHeight"/> with linear filtering and mipmaps, as RGB.</summary>
    private static unsafe DecodedImage FinishForDisplay(
        Span<byte> rgba, int width, int height, int outWidth, int outHeight, int sourceWidth, int sourceHeight, ImageFormat format, string? name)
    {
        var outPixels = (long)outWidth * outHeight;
        byte[]? scaledRgba = null;
        var output = DecodeBuffers.Rent((int)(outPixels * 3));
        var handedOver = false;
        try
        {
            PixelOps.FlattenOverGrey(rgba);
            ReadOnlySpan<byte> source = rgba;
            if (outWidth != width || outHeight != height)
            {
                scaledRgba = DecodeBuffers.Rent((int)(outPixels * 4));
                fixed (byte* from = rgba)
                fixed (byte* to = scaledRgba)
                {
                    using var fromPixmap = new SKPixmap(RgbaInfo(width, height), (IntPtr)from, width * 4);
                    using var toPixmap = new SKPixmap(RgbaInfo(outWidth, outHeight), (IntPtr)to, outWidth * 4);
                    if (!fromPixmap.ScalePixels(toPixmap, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)))
                    {
                        throw new ImageDecodeException(name, DecodeFailure.Corrupt, "the image could not be scaled");
                    }
                }

                source = scaledRgba;
            }

            PixelOps.RgbaToRgb(source[..(int)(outPixels * 4)], output.AsSpan(0, (int)(outPixels * 3)));
            handedOver = true;
            return new DecodedImage(output, outWidth, outHeight, PixelLayout.Rgb24, pooled: true)
            {
                SourceWidth = sourceWidth,
                SourceHeight = sourceHeight,
                Format = format,
            };
        }
        finally
        {
            if (scaledRgba is not null)
            {
                DecodeBuffers.Return(scaledRgba);
            }

            if (!handedOver)
            {
                DecodeBuffers.Return(output);
            }
        }
    }

    /// <summary>Decodes a JPEG row by row, keeping only the sampled rows; null when the codec cannot scanline-decode it.</summary>
    private unsafe DecodedImage? TryDecodeJpegByScanlines(SKCodec codec, SamplingPlan plan, PixelsDecoded decoded, string? name, DecodeGuard guard)
    {
        var width = decoded.DecodeWidth;
        var height = decoded.DecodeHeight;
        if (codec.StartScanlineDecode(RgbaInfo(width, height)) != SKCodecResult.Success)
        {
            return null;
        }

        // Lines sorted by the stored row they need; the maps are monotonic, so this is either order or its reverse.
        var lineCount = plan.LineCount;
        var lineOrder = new int[lineCount];
        for (var i = 0; i < lineCount; i++)
        {
            lineOrder[i] = i;
        }

        if (lineCount > 1 && plan.LineSourceRow[0] > plan.LineSourceRow[lineCount - 1])
        {
            Array.Reverse(lineOrder);
        }

        var rowBytes = width * 4;
        var rowsPerBatch = Math.Clamp(ScanlineBatchBytes / rowBytes, 1, height);
        using var reservation = Options.MemoryBudget.Reserve(((long)rowsPerBatch * rowBytes) + EstimateOutputBytes(plan), guard, name);
        var batch = DecodeBuffers.Rent(rowsPerBatch * rowBytes);
        var output = DecodeBuffers.Rent(plan.OutputWidth * plan.OutputHeight * 3);
        var handedOver = false;
        try
        {
            var grey = true;
            var nextLine = 0;
            for (var firstRow = 0; firstRow < height;)
            {
                guard.ThrowIfShouldStop(name);
                var wanted = Math.Min(rowsPerBatch, height - firstRow);
                int got;
                fixed (byte* rows = batch)
                {
                    got = codec.GetScanlines((IntPtr)rows, wanted, rowBytes);
                }

                guard.ThrowIfStopped(name);
                if (got != wanted)
                {
                    throw Truncated(name, $"the JPEG data ends early (only {firstRow + got} of {height} rows could be decoded)");
                }

                for (var k = 0; k < got; k++)
                {
                    var row = batch.AsSpan(k * rowBytes, rowBytes);
                    grey = grey && PixelOps.IsGrey(row);
                    var storedRow = firstRow + k;
                    while (nextLine < lineCount && plan.LineSourceRow[lineOrder[nextLine]] == storedRow)
                    {
                        plan.EmitLine(lineOrder[nextLine], row, output, 3);
                        nextLine++;
                    }
                }

                firstRow += got;
            }

            var pixelCount = plan.OutputWidth * plan.OutputHeight;
            if (grey)
            {
                PixelOps.RgbToGreyInPlace(output, pixelCount);
            }

            handedOver = true;
            return decoded.ToImage(output, plan.OutputWidth, plan.OutputHeight, grey ? PixelLayout.Gray8 : PixelLayout.Rgb24);
        }
        finally
        {
            DecodeBuffers.Return(batch);
            if (!handedOver)
            {
                DecodeBuffers.Return(output);
            }
        }
    }

    /// <summary>
    /// The smallest size the JPEG codec can decode to in the DCT domain (libjpeg-turbo: n/8 of the stored size,
    /// rounded up) that keeps both sides at least <paramref name="resampleSize"/>; the stored size when the image is
    /// not stretched, or no smaller size qualifies.
    /// </summary>
    internal static SKSizeI ChooseJpegScale(SKCodec codec, int width, int height, int? resampleSize)
    {
        var full = new SKSizeI(width, height);
        if (resampleSize is not { } size || !SamplingPlan.NeedsResampling(width, height, size) || width < size || height < size)
        {
            return full;
        }

        for (var eighths = 1; eighths < 8; eighths++)
        {
            var scaled = codec.GetScaledDimensions(eighths / 8f);
            if (scaled.Width >= size && scaled.Height >= size && scaled.Width <= width && scaled.Height <= height)
            {
                return scaled;
            }
        }

        return full;
    }

    /// <summary>8-bit RGBA, unpremultiplied (so alpha never alters RGB), no colour space (so no colour management).</summary>
    private static SKImageInfo RgbaInfo(int width, int height) =>
        new(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);

    private void CheckDimensions(long width, long height, string? name) => CheckDimensions(Options, width, height, name);

    /// <summary>Refuses a size from a header that is invalid or over the limits of <paramref name="options"/>.</summary>
    internal static void CheckDimensions(DecodeOptions options, long width, long height, string? name)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException(name, DecodeFailure.Corrupt, $"the header gives an invalid size of {width}x{height} pixels");
        }

        if (width > options.MaxDimension || height > options.MaxDimension)
        {
            throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge,
                $"the header claims {width}x{height} pixels; a side longer than {options.MaxDimension:N0} pixels is refused");
        }

        if (width * height > options.MaxPixels)
        {
            throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge,
                $"the header claims {width}x{height} pixels ({width * height:N0}), more than the limit of {options.MaxPixels:N0} pixels");
        }
    }

    private static ImageDecodeException CreateFailure(SniffedHeader header, SKCodecResult result, string? name)
    {
        if (header.UnsupportedReason is { } unsupported)
        {
            return new ImageDecodeException(name, DecodeFailure.UnsupportedFormat, unsupported);
        }

        if (header.IsDecodableFormat && result == SKCodecResult.IncompleteInput)
        {
            return Truncated(name, $"the {FormatName(header.Format)} header is incomplete");
        }

        if (header.IsDecodableFormat)
        {
            return new ImageDecodeException(name, DecodeFailure.Corrupt,
                $"the {FormatName(header.Format)} header is truncated or damaged ({result})");
        }

#if NEEDLE_MAGICK
        return new ImageDecodeException(name, DecodeFailure.UnrecognisedFormat,
            "not a recognised image format (JPEG, PNG, GIF, BMP, WebP, ICO, WBMP, HEIC/HEIF, AVIF, TIFF, JPEG XL, PSD or camera raw)");
#else
        return new ImageDecodeException(name, DecodeFailure.UnrecognisedFormat,
            "not a recognised image format (JPEG, PNG, GIF, BMP, WebP, ICO or WBMP)");
#endif
    }

    private static ImageDecodeException DecodeFailed(SKCodecResult result, ImageFormat format, bool incompleteIsDamage, string? name)
    {
        if (result == SKCodecResult.IncompleteInput && incompleteIsDamage)
        {
            // All of the file's chunks are there (a PNG up to IEND): the codec stopped on damaged data.
            return new ImageDecodeException(name, DecodeFailure.Corrupt, $"the {FormatName(format)} image data is damaged");
        }

        if (result == SKCodecResult.IncompleteInput)
        {
            return Truncated(name, $"the {FormatName(format)} image data ends before the image is complete");
        }

        var what = result switch
        {
            SKCodecResult.ErrorInInput => "is damaged",
            _ => $"could not be decoded ({result})",
        };
        return new ImageDecodeException(name, DecodeFailure.Corrupt, $"the {FormatName(format)} image data {what}");
    }

    /// <summary>A <see cref="DecodeFailure.Truncated"/> failure; the reason starts with "truncated: ".</summary>
    private static ImageDecodeException Truncated(string? name, string detail) =>
        new(name, DecodeFailure.Truncated, "truncated: " + detail);

    private static void VerifyStreamedJpegScans(GuardedSkiaStream skiaStream, string? name, DecodeGuard guard)
    {
        var length = (int)Math.Min(skiaStream.ImageLength, Array.MaxLength);
        var buffer = DecodeBuffers.Rent(length);
        try
        {
            var read = skiaStream.CopyAt(0, buffer.AsSpan(0, length));
            VerifyJpegScans(buffer.AsMemory(0, read), name, guard);
        }
        finally
        {
            DecodeBuffers.Return(buffer);
        }
    }

    /// <summary>Refuses a JPEG whose entropy-coded data does not cover the image (libjpeg would fill the rest with grey).</summary>
    private static void VerifyJpegScans(ReadOnlyMemory<byte> bytes, string? name, DecodeGuard guard)
    {
        var coverage = JpegScanVerifier.Verify(bytes, guard, out var detail);
        guard.ThrowIfStopped(name);
        if (coverage == JpegScanCoverage.Truncated)
        {
            throw Truncated(name, $"the JPEG {detail ?? "data ends before the image is complete"}");
        }
    }

    private static long EstimateOutputBytes(SamplingPlan plan) => (long)plan.OutputWidth * plan.OutputHeight * 3;

    private static string FormatName(ImageFormat format) => format switch
    {
        ImageFormat.Jpeg => "JPEG",
        ImageFormat.Png => "PNG",
        ImageFormat.Gif => "GIF",
        ImageFormat.Bmp => "BMP",
        ImageFormat.Webp => "WebP",
        ImageFormat.Ico => "ICO",
        ImageFormat.Wbmp => "WBMP",
        ImageFormat.Heif => "HEIF",
        ImageFormat.Avif => "AVIF",
        ImageFormat.Dng => "DNG",
        ImageFormat.Tiff => "TIFF",
        ImageFormat.JpegXl => "JPEG XL",
        ImageFormat.Psd => "PSD",
        ImageFormat.CameraRaw => "camera raw",
        _ => "image",
    };

    private static ImageFormat ToImageFormat(SKEncodedImageFormat format) => format switch
    {
        SKEncodedImageFormat.Jpeg => ImageFormat.Jpeg,
        SKEncodedImageFormat.Png => ImageFormat.Png,
        SKEncodedImageFormat.Gif => ImageFormat.Gif,
        SKEncodedImageFormat.Bmp => ImageFormat.Bmp,
        SKEncodedImageFormat.Webp => ImageFormat.Webp,
        SKEncodedImageFormat.Ico => ImageFormat.Ico,
        SKEncodedImageFormat.Wbmp => ImageFormat.Wbmp,
        SKEncodedImageFormat.Heif => ImageFormat.Heif,
        SKEncodedImageFormat.Avif => ImageFormat.Avif,
        SKEncodedImageFormat.Dng => ImageFormat.Dng,
        _ => ImageFormat.Unknown,
    };

    /// <summary>
    /// What is known about the stored image, to stamp on the <see cref="DecodedImage"/>, and the size it is decoded at
    /// (the stored size, or smaller with <see cref="DecodeOptions.FastJpegScaling"/>).
    /// </summary>
    private readonly record struct PixelsDecoded(
        int Width, int Height, int DecodeWidth, int DecodeHeight, ImageFormat Format, int ExifOrientation, int BitsPerSample,
        bool IncompleteIsDamage)
    {
        public DecodedImage ToImage(byte[] buffer, int width, int height, PixelLayout layout, bool pooled = true) =>
            new(buffer, width, height, layout, pooled)
            {
                SourceWidth = Width,
                SourceHeight = Height,
                Format = Format,
                ExifOrientation = ExifOrientation,
                BitsPerSample = BitsPerSample,
            };
    }
}
