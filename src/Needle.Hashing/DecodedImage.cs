using Needle.Hashing.Decoding;

namespace Needle.Hashing;

/// <summary>
/// Decoded 8-bit pixels ready for hashing, row-major and tightly packed (stride = Width * bytes per pixel).
/// The buffer is rented from a pool: dispose the image when done.
/// </summary>
public sealed class DecodedImage : IDisposable
{
    private byte[]? _buffer;

    /// <summary>Takes ownership of <paramref name="buffer"/>; if <paramref name="pooled"/> it goes back to <see cref="System.Buffers.ArrayPool{T}.Shared"/> on dispose (buffers over 4 MiB are left to the garbage collector instead, so a spike of large images is not kept).</summary>
    public DecodedImage(byte[] buffer, int width, int height, PixelLayout layout, bool pooled = false)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if ((long)width * height * (int)layout > buffer.Length)
        {
            throw new ArgumentException("The buffer is smaller than width * height * bytes per pixel.", nameof(buffer));
        }

        _buffer = buffer;
        Pooled = pooled;
        Width = width;
        Height = height;
        Layout = layout;
        SourceWidth = width;
        SourceHeight = height;
    }

    private bool Pooled { get; }

    /// <summary>Width of <see cref="Pixels"/> (after any resampling).</summary>
    public int Width { get; }

    /// <summary>Height of <see cref="Pixels"/> (after any resampling).</summary>
    public int Height { get; }

    /// <summary>Layout of <see cref="Pixels"/>.</summary>
    public PixelLayout Layout { get; }

    /// <summary>Width stored in the file, before any resampling or orientation.</summary>
    public int SourceWidth { get; init; }

    /// <summary>Height stored in the file, before any resampling or orientation.</summary>
    public int SourceHeight { get; init; }

    /// <summary>The recognised container format.</summary>
    public ImageFormat Format { get; init; }

    /// <summary>EXIF orientation tag (1..8; 1 when absent) as stored in the file, whether or not it was applied.</summary>
    public int ExifOrientation { get; init; } = 1;

    /// <summary>Bits per sample in the file (8 or 16), for reporting.</summary>
    public int BitsPerSample { get; init; } = 8;

    /// <summary>The pixels, <c>Width * Height * (int)Layout</c> bytes.</summary>
    public ReadOnlySpan<byte> Pixels
    {
        get
        {
            ObjectDisposedException.ThrowIf(_buffer is null, this);
            return _buffer.AsSpan(0, Width * Height * (int)Layout);
        }
    }

    /// <summary>Returns a pooled buffer to the pool; <see cref="Pixels"/> throws afterwards. Safe to call more than once.</summary>
    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && Pooled)
        {
            DecodeBuffers.Return(buffer);
        }
    }
}
