using System.Buffers;
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
            var buffer = ArrayPool<byte>.Shared.Rent((int)length);
            try
            {
                var read = ReadFully(handle, buffer.AsSpan(0, (int)length), path);
                return DecodeBytes(buffer.AsMemory(0, read), path, cancellationToken);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
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

    private DecodedImage DecodeBytes(ReadOnlyMemory<byte> bytes, string? name, CancellationToken cancellationToken)
    {
        if (bytes.IsEmpty)
        {
            throw new ImageDecodeException(name, DecodeFailure.Empty, "the file is empty");
        }

        var header = ImageSniffer.Sniff(bytes.Span[..Math.Min(bytes.Length, ImageSniffer.HeaderBytes)]);
        var guard = new DecodeGuard(_timeProvider, Options.DecodeTimeout, cancellationToken);
        return DecodeWithSkia(new GuardedSkiaStream(bytes, guard), header, name, guard);
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

    private DecodedImage DecodeWithSkia(GuardedSkiaStream skiaStream, SniffedHeader header, string? name, DecodeGuard guard)
    {
        // Refuse oversized images from the header bytes before Skia parses anything (PNG, GIF, BMP).
        if (header.Width > 0 && header.Height > 0)
        {
            CheckDimensions(header.Width, header.Height, name);
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

            var storedOrigin = codec.EncodedOrigin;
            var exifOrientation = storedOrigin is >= SKEncodedOrigin.TopLeft and <= SKEncodedOrigin.LeftBottom ? (int)storedOrigin : 1;
            var appliedOrigin = Options.AutoOrient ? (SKEncodedOrigin)exifOrientation : SKEncodedOrigin.TopLeft;
            var format = ToImageFormat(codec.EncodedFormat);

            // --fast-jpeg: decode a JPEG that will be stretched at a reduced DCT scale; the stretch then samples the
            // scaled image. The scale is symmetric in both axes, so it does not depend on the orientation.
            var decodeSize = format == ImageFormat.Jpeg && Options.FastJpegScaling
                ? ChooseJpegScale(codec, info.Width, info.Height, Options.ResampleSize)
                : new SKSizeI(info.Width, info.Height);
            var plan = SamplingPlan.Create(decodeSize.Width, decodeSize.Height, appliedOrigin, Options.ResampleSize);
            var decoded = new PixelsDecoded(info.Width, info.Height, decodeSize.Width, decodeSize.Height, format, exifOrientation,
                format == ImageFormat.Png ? header.BitsPerSample : 8);

            // A JPEG that is being sampled down is decoded row by row, so its full-size pixels are never held.
            if (format == ImageFormat.Jpeg && !plan.IsIdentity &&
                (long)plan.OutputWidth * plan.OutputHeight < (long)decodeSize.Width * decodeSize.Height &&
                TryDecodeJpegByScanlines(codec, plan, decoded, name, guard) is { } sampled)
            {
                return sampled;
            }

            return DecodeWholeImage(codec, plan, decoded, name, guard);
        }
        finally
        {
            GC.KeepAlive(skiaStream);
            skiaStream.Dispose();
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

        var rgba = ArrayPool<byte>.Shared.Rent((int)rgbaLength);
        var handedOver = false;
        try
        {
            var rgbaSpan = rgba.AsSpan(0, (int)rgbaLength);

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
            fixed (byte* pixels = rgba)
            {
                result = codec.GetPixels(RgbaInfo(width, height), (IntPtr)pixels, width * 4, options);
            }

            guard.ThrowIfStopped(name);
            if (result != SKCodecResult.Success)
            {
                throw DecodeFailed(result, decoded.Format, name);
            }

            guard.ThrowIfShouldStop(name);
            var grey = PixelOps.IsGrey(rgbaSpan);
            var layout = grey ? PixelLayout.Gray8 : PixelLayout.Rgb24;
            if (plan.IsIdentity)
            {
                // Convert in place and hand the same buffer over: no second full-size copy.
                if (grey)
                {
                    PixelOps.RgbaToGrey(rgbaSpan, rgbaSpan);
                }
                else
                {
                    PixelOps.RgbaToRgb(rgbaSpan, rgbaSpan);
                }

                handedOver = true;
                return decoded.ToImage(rgba, width, height, layout);
            }

            var bytesPerPixel = (int)layout;
            var output = ArrayPool<byte>.Shared.Rent(plan.OutputWidth * plan.OutputHeight * bytesPerPixel);
            var outputSpan = output.AsSpan();
            var rowBytes = width * 4;
            for (var line = 0; line < plan.LineCount; line++)
            {
                var row = rgbaSpan.Slice(plan.LineSourceRow[line] * rowBytes, rowBytes);
                plan.EmitLine(line, row, outputSpan, bytesPerPixel);
            }

            return decoded.ToImage(output, plan.OutputWidth, plan.OutputHeight, layout);
        }
        finally
        {
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(rgba);
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
        var batch = ArrayPool<byte>.Shared.Rent(rowsPerBatch * rowBytes);
        var output = ArrayPool<byte>.Shared.Rent(plan.OutputWidth * plan.OutputHeight * 3);
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
                    throw new ImageDecodeException(name, DecodeFailure.Corrupt,
                        $"the JPEG data is truncated or damaged (only {firstRow + got} of {height} rows could be decoded)");
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
            ArrayPool<byte>.Shared.Return(batch);
            if (!handedOver)
            {
                ArrayPool<byte>.Shared.Return(output);
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

    private void CheckDimensions(long width, long height, string? name)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException(name, DecodeFailure.Corrupt, $"the header gives an invalid size of {width}x{height} pixels");
        }

        if (width > Options.MaxDimension || height > Options.MaxDimension)
        {
            throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge,
                $"the header claims {width}x{height} pixels; a side longer than {Options.MaxDimension:N0} pixels is refused");
        }

        if (width * height > Options.MaxPixels)
        {
            throw new ImageDecodeException(name, DecodeFailure.DimensionsTooLarge,
                $"the header claims {width}x{height} pixels ({width * height:N0}), more than the limit of {Options.MaxPixels:N0} pixels");
        }
    }

    private static ImageDecodeException CreateFailure(SniffedHeader header, SKCodecResult result, string? name)
    {
        if (header.UnsupportedReason is { } unsupported)
        {
            return new ImageDecodeException(name, DecodeFailure.UnsupportedFormat, unsupported);
        }

        if (header.IsDecodableFormat)
        {
            return new ImageDecodeException(name, DecodeFailure.Corrupt,
                $"the {FormatName(header.Format)} header is truncated or damaged ({result})");
        }

        return new ImageDecodeException(name, DecodeFailure.UnrecognisedFormat,
            "not a recognised image format (JPEG, PNG, GIF, BMP, WebP, ICO or WBMP)");
    }

    private static ImageDecodeException DecodeFailed(SKCodecResult result, ImageFormat format, string? name)
    {
        var what = result switch
        {
            SKCodecResult.IncompleteInput => "is truncated",
            SKCodecResult.ErrorInInput => "is damaged",
            _ => $"could not be decoded ({result})",
        };
        return new ImageDecodeException(name, DecodeFailure.Corrupt, $"the {FormatName(format)} image data {what}");
    }

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
        int Width, int Height, int DecodeWidth, int DecodeHeight, ImageFormat Format, int ExifOrientation, int BitsPerSample)
    {
        public DecodedImage ToImage(byte[] pooledBuffer, int width, int height, PixelLayout layout) =>
            new(pooledBuffer, width, height, layout, pooled: true)
            {
                SourceWidth = Width,
                SourceHeight = Height,
                Format = Format,
                ExifOrientation = ExifOrientation,
                BitsPerSample = BitsPerSample,
            };
    }
}
