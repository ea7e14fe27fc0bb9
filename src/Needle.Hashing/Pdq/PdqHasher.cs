namespace Needle.Hashing.Pdq;

/// <summary>
/// Computes PDQ hashes bit-for-bit as Meta's reference C++ hasher does (<c>pdq/cpp</c> in facebook/ThreatExchange):
/// float32 luma, two passes of the Jarosz box filter, decimation to 64x64, the quality metric, a 16x16 DCT and a
/// median threshold. Every float operation is done in the reference's order so results are identical.
/// </summary>
/// <remarks>
/// An instance reuses its scratch buffers and is not thread-safe: use one per thread.
/// Pixels are expected already prepared as the reference sees them (see <see cref="ImageDecoder"/>): 8-bit RGB or
/// grey, with images larger than 512 px already stretched to 512x512 unless hashing at full resolution.
/// </remarks>
public sealed class PdqHasher
{
    /// <summary>Images narrower or shorter than this get the all-zero hash with quality 0, as in the reference.</summary>
    public const int MinimumDimension = 5;

    private const int JaroszPasses = 2;

    private readonly bool _useVectors;
    private readonly float[] _buffer64x64 = new float[64 * 64];
    private readonly float[] _buffer16x64 = new float[16 * 64];
    private readonly float[] _buffer16x16 = new float[16 * 16];
    private readonly float[] _buffer16x16Aux = new float[16 * 16];
    private float[] _full1 = [];
    private float[] _full2 = [];

    /// <summary>Creates a hasher that uses SIMD where the hardware has it.</summary>
    public PdqHasher()
        : this(useVectors: true)
    {
    }

    /// <summary>Creates a hasher; <paramref name="useVectors"/> = false forces the scalar code (for tests and benchmarks).</summary>
    public PdqHasher(bool useVectors)
    {
        _useVectors = useVectors;
    }

    /// <summary>Hashes a decoded image.</summary>
    public PdqResult Hash(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Hash(image.Pixels, image.Width, image.Height, image.Layout);
    }

    /// <summary>Computes the eight dihedral hashes of a decoded image from one DCT.</summary>
    public PdqDihedralResult HashDihedral(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return HashDihedral(image.Pixels, image.Width, image.Height, image.Layout);
    }

    /// <summary>Hashes row-major, tightly packed 8-bit pixels.</summary>
    public PdqResult Hash(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout)
    {
        Validate(pixels, width, height, layout);
        if (width < MinimumDimension || height < MinimumDimension)
        {
            return new PdqResult(PdqHash.Zero, 0);
        }

        var luma = FillLuma(pixels, width, height, layout);

        // The reference skips the blur when the input is already 64x64 (a shortcut for pre-scaled video frames)
        // for the plain hash only; the dihedral path always blurs. Both are kept as they define the hash.
        if (width == 64 && height == 64)
        {
            luma.AsSpan(0, 64 * 64).CopyTo(_buffer64x64);
        }
        else
        {
            BlurAndDecimate(width, height);
        }

        var quality = PdqMath.Quality(_buffer64x64);
        PdqMath.Dct64To16(_buffer64x64, _buffer16x64, _buffer16x16, _useVectors);
        return new PdqResult(PdqMath.ToHash(_buffer16x16), quality);
    }

    /// <summary>Computes the eight dihedral hashes of row-major, tightly packed 8-bit pixels from one DCT.</summary>
    public PdqDihedralResult HashDihedral(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout)
    {
        Validate(pixels, width, height, layout);
        var hashes = new PdqHash[DihedralTransformNames.Count];
        if (width < MinimumDimension || height < MinimumDimension)
        {
            return new PdqDihedralResult(hashes, 0);
        }

        FillLuma(pixels, width, height, layout);
        BlurAndDecimate(width, height);
        var quality = PdqMath.Quality(_buffer64x64);
        PdqMath.Dct64To16(_buffer64x64, _buffer16x64, _buffer16x16, _useVectors);
        for (var t = 0; t < DihedralTransformNames.Count; t++)
        {
            PdqMath.TransformDct((DihedralTransform)t, _buffer16x16, _buffer16x16Aux);
            hashes[t] = PdqMath.ToHash(_buffer16x16Aux);
        }

        return new PdqDihedralResult(hashes, quality);
    }

    private static void Validate(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (layout is not (PixelLayout.Gray8 or PixelLayout.Rgb24))
        {
            throw new ArgumentOutOfRangeException(nameof(layout));
        }

        if (pixels.Length < (long)width * height * (int)layout)
        {
            throw new ArgumentException("Fewer pixel bytes than width * height * bytes per pixel.", nameof(pixels));
        }
    }

    private float[] FillLuma(ReadOnlySpan<byte> pixels, int width, int height, PixelLayout layout)
    {
        var count = width * height;
        if (_full1.Length < count)
        {
            _full1 = new float[count];
            _full2 = new float[count];
        }

        var luma = _full1.AsSpan(0, count);
        if (layout == PixelLayout.Gray8)
        {
            PdqMath.LumaFromGrey(pixels[..count], luma, _useVectors);
        }
        else
        {
            PdqMath.LumaFromRgb(pixels[..(count * 3)], luma, _useVectors);
        }

        return _full1;
    }

    private void BlurAndDecimate(int width, int height)
    {
        var count = width * height;
        var windowAlongRows = JaroszFilter.WindowSize(width, 64);
        var windowAlongCols = JaroszFilter.WindowSize(height, 64);
        JaroszFilter.Apply(
            _full1.AsSpan(0, count),
            _full2.AsSpan(0, count),
            height,
            width,
            windowAlongRows,
            windowAlongCols,
            JaroszPasses,
            _useVectors);
        PdqMath.Decimate(_full1.AsSpan(0, count), height, width, _buffer64x64);
    }
}
