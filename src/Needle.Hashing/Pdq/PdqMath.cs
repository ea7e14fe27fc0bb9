using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Needle.Hashing.Pdq;

/// <summary>
/// The arithmetic of PDQ after the blur. Each function keeps the reference's float32 operation order; the vector paths
/// compute several independent outputs at once but run each output's operations in the same order, so they are
/// bit-identical to the scalar ones.
/// </summary>
internal static class PdqMath
{
    // The reference declares these as float constants initialised from doubles.
    private const float LumaFromR = 0.299f;
    private const float LumaFromG = 0.587f;
    private const float LumaFromB = 0.114f;

    /// <summary>
    /// 16x64 DCT-II basis, row-major: D[i][j] = sqrt(2/64) * cos(pi/2/64 * (i+1) * (2j+1)), rows 1..16 of the full
    /// 64-point DCT. Computed as the reference does: scale factor rounded to float, product in double, stored as float.
    /// </summary>
    private static readonly float[] DctMatrix = BuildDctMatrix();

    /// <summary>The transpose of <see cref="DctMatrix"/> (64x16), so the second DCT stage can run along contiguous rows.</summary>
    private static readonly float[] DctMatrixTransposed = Transpose(DctMatrix, 16, 64);

    private static float[] BuildDctMatrix()
    {
        const int rows = 16;
        const int cols = 64;
        var scale = (float)Math.Sqrt(2.0 / cols);
        var matrix = new float[rows * cols];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                matrix[(i * cols) + j] = (float)(scale * Math.Cos(Math.PI / 2.0 / cols * (i + 1) * ((2 * j) + 1)));
            }
        }

        return matrix;
    }

    private static float[] Transpose(float[] source, int rows, int cols)
    {
        var result = new float[source.Length];
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                result[(j * rows) + i] = source[(i * cols) + j];
            }
        }

        return result;
    }

    public static void LumaFromGrey(ReadOnlySpan<byte> grey, Span<float> luma, bool useVectors)
    {
        var i = 0;
        if (useVectors && Vector256.IsHardwareAccelerated && grey.Length >= 32)
        {
            ref var src = ref MemoryMarshal.GetReference(grey);
            ref var dst = ref MemoryMarshal.GetReference(luma);
            for (; i <= grey.Length - 32; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref src, (nuint)i);
                var (lo16, hi16) = Vector256.Widen(bytes);
                var (a, b) = Vector256.Widen(lo16);
                var (c, d) = Vector256.Widen(hi16);
                Vector256.ConvertToSingle(a.AsInt32()).StoreUnsafe(ref dst, (nuint)i);
                Vector256.ConvertToSingle(b.AsInt32()).StoreUnsafe(ref dst, (nuint)(i + 8));
                Vector256.ConvertToSingle(c.AsInt32()).StoreUnsafe(ref dst, (nuint)(i + 16));
                Vector256.ConvertToSingle(d.AsInt32()).StoreUnsafe(ref dst, (nuint)(i + 24));
            }
        }

        for (; i < grey.Length; i++)
        {
            luma[i] = grey[i];
        }
    }

    public static void LumaFromRgb(ReadOnlySpan<byte> rgb, Span<float> luma, bool useVectors)
    {
        var n = luma.Length;
        ref var src = ref MemoryMarshal.GetReference(rgb);
        ref var dst = ref MemoryMarshal.GetReference(luma);
        var i = 0;
        if (useVectors && Avx2.IsSupported)
        {
            // Eight pixels a step: two 16-byte loads (pixels 0-3 and 4-7, 12 bytes each) side by side in one
            // 256-bit register, then a byte shuffle per 128-bit half spreads R, G and B into int32 lanes.
            // Each lane then does the scalar expression's float operations in the same order.
            var maskR = Vector256.Create((byte)0, 255, 255, 255, 3, 255, 255, 255, 6, 255, 255, 255, 9, 255, 255, 255, 0, 255, 255, 255, 3, 255, 255, 255, 6, 255, 255, 255, 9, 255, 255, 255);
            var maskG = Vector256.Create((byte)1, 255, 255, 255, 4, 255, 255, 255, 7, 255, 255, 255, 10, 255, 255, 255, 1, 255, 255, 255, 4, 255, 255, 255, 7, 255, 255, 255, 10, 255, 255, 255);
            var maskB = Vector256.Create((byte)2, 255, 255, 255, 5, 255, 255, 255, 8, 255, 255, 255, 11, 255, 255, 255, 2, 255, 255, 255, 5, 255, 255, 255, 8, 255, 255, 255, 11, 255, 255, 255);
            var cr = Vector256.Create(LumaFromR);
            var cg = Vector256.Create(LumaFromG);
            var cb = Vector256.Create(LumaFromB);

            // The second load reads 16 bytes from byte 12 of the step, 4 past the step's 24: stop early enough.
            for (; (i * 3) + 28 <= rgb.Length && i + 8 <= n; i += 8)
            {
                var offset = (nuint)(i * 3);
                var pixels = Vector256.Create(
                    Vector128.LoadUnsafe(ref src, offset),
                    Vector128.LoadUnsafe(ref src, offset + 12));
                var r = Avx.ConvertToVector256Single(Avx2.Shuffle(pixels, maskR).AsInt32());
                var g = Avx.ConvertToVector256Single(Avx2.Shuffle(pixels, maskG).AsInt32());
                var b = Avx.ConvertToVector256Single(Avx2.Shuffle(pixels, maskB).AsInt32());
                ((cr * r) + (cg * g) + (cb * b)).StoreUnsafe(ref dst, (nuint)i);
            }
        }

        for (; i < n; i++)
        {
            ref var p = ref Unsafe.Add(ref src, i * 3);
            // Same order as the reference: ((R * cr) + (G * cg)) + (B * cb), in float.
            Unsafe.Add(ref dst, i) = (LumaFromR * p) + (LumaFromG * Unsafe.Add(ref p, 1)) + (LumaFromB * Unsafe.Add(ref p, 2));
        }
    }

    /// <summary>Nearest-sample decimation to 64x64 as the reference does: source index floor((out + 0.5) * in / 64) in double.</summary>
    public static void Decimate(ReadOnlySpan<float> input, int rows, int cols, Span<float> output64x64)
    {
        Span<int> colIndex = stackalloc int[64];
        for (var j = 0; j < 64; j++)
        {
            colIndex[j] = (int)((j + 0.5) * cols / 64);
        }

        for (var i = 0; i < 64; i++)
        {
            var row = input.Slice((int)((i + 0.5) * rows / 64) * cols, cols);
            var outRow = output64x64.Slice(i * 64, 64);
            for (var j = 0; j < 64; j++)
            {
                outRow[j] = row[colIndex[j]];
            }
        }
    }

    /// <summary>The reference's image-domain quality metric: the sum of quantised gradients of the 64x64 image, scaled to 0..100.</summary>
    public static int Quality(ReadOnlySpan<float> buffer64x64)
    {
        var gradientSum = 0;
        for (var i = 0; i < 63; i++)
        {
            var row = buffer64x64.Slice(i * 64, 64);
            var next = buffer64x64.Slice((i + 1) * 64, 64);
            for (var j = 0; j < 64; j++)
            {
                gradientSum += Math.Abs(QuantisedGradient(row[j], next[j]));
            }
        }

        for (var i = 0; i < 64; i++)
        {
            var row = buffer64x64.Slice(i * 64, 64);
            for (var j = 0; j < 63; j++)
            {
                gradientSum += Math.Abs(QuantisedGradient(row[j], row[j + 1]));
            }
        }

        return Math.Min(gradientSum / 90, 100);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int QuantisedGradient(float u, float v) => (int)((u - v) * 100f / 255f);

    /// <summary>
    /// B = D A D^T restricted to DCT rows/columns 1..16: first T = D A (16x64), then B = T D^T (16x16), each sum over
    /// k = 0..63 in order, as the reference.
    /// </summary>
    public static void Dct64To16(ReadOnlySpan<float> a64x64, Span<float> t16x64, Span<float> b16x16, bool useVectors)
    {
        var d = DctMatrix.AsSpan();
        if (useVectors && Vector256.IsHardwareAccelerated)
        {
            Dct64To16Vector(a64x64, t16x64, b16x16);
            return;
        }

        for (var i = 0; i < 16; i++)
        {
            var dRow = d.Slice(i * 64, 64);
            for (var j = 0; j < 64; j++)
            {
                var sum = 0f;
                for (var k = 0; k < 64; k++)
                {
                    sum += dRow[k] * a64x64[(k * 64) + j];
                }

                t16x64[(i * 64) + j] = sum;
            }
        }

        for (var i = 0; i < 16; i++)
        {
            var tRow = t16x64.Slice(i * 64, 64);
            for (var j = 0; j < 16; j++)
            {
                var dRow = d.Slice(j * 64, 64);
                var sum = 0f;
                for (var k = 0; k < 64; k++)
                {
                    sum += tRow[k] * dRow[k];
                }

                b16x16[(i * 16) + j] = sum;
            }
        }
    }

    private static void Dct64To16Vector(ReadOnlySpan<float> a64x64, Span<float> t16x64, Span<float> b16x16)
    {
        // Vectorised over the output column j: each lane accumulates its own sum over k in the reference's order.
        // Multiply and add stay separate instructions (no fused multiply-add), so rounding matches the scalar code.
        ref var a = ref MemoryMarshal.GetReference(a64x64);
        ref var t = ref MemoryMarshal.GetReference(t16x64);
        ref var b = ref MemoryMarshal.GetReference(b16x16);
        ref var d = ref MemoryMarshal.GetArrayDataReference(DctMatrix);
        ref var dt = ref MemoryMarshal.GetArrayDataReference(DctMatrixTransposed);

        for (var i = 0; i < 16; i++)
        {
            for (var j = 0; j < 64; j += 16)
            {
                var sum0 = Vector256<float>.Zero;
                var sum1 = Vector256<float>.Zero;
                for (var k = 0; k < 64; k++)
                {
                    var coefficient = Vector256.Create(Unsafe.Add(ref d, (i * 64) + k));
                    sum0 += coefficient * Vector256.LoadUnsafe(ref a, (nuint)((k * 64) + j));
                    sum1 += coefficient * Vector256.LoadUnsafe(ref a, (nuint)((k * 64) + j + 8));
                }

                sum0.StoreUnsafe(ref t, (nuint)((i * 64) + j));
                sum1.StoreUnsafe(ref t, (nuint)((i * 64) + j + 8));
            }
        }

        for (var i = 0; i < 16; i++)
        {
            var sum0 = Vector256<float>.Zero;
            var sum1 = Vector256<float>.Zero;
            for (var k = 0; k < 64; k++)
            {
                var tValue = Vector256.Create(Unsafe.Add(ref t, (i * 64) + k));
                sum0 += tValue * Vector256.LoadUnsafe(ref dt, (nuint)(k * 16));
                sum1 += tValue * Vector256.LoadUnsafe(ref dt, (nuint)((k * 16) + 8));
            }

            sum0.StoreUnsafe(ref b, (nuint)(i * 16));
            sum1.StoreUnsafe(ref b, (nuint)((i * 16) + 8));
        }
    }

    /// <summary>
    /// Derives the DCT of a rotated or flipped image from the original's: transposition and sign changes of
    /// odd-frequency coefficients, as the reference's <c>dct16OriginalTo*</c> functions.
    /// </summary>
    public static void TransformDct(DihedralTransform transform, ReadOnlySpan<float> a, Span<float> b)
    {
        for (var i = 0; i < 16; i++)
        {
            for (var j = 0; j < 16; j++)
            {
                var value = a[(i * 16) + j];
                switch (transform)
                {
                    case DihedralTransform.Original:
                        b[(i * 16) + j] = value;
                        break;
                    case DihedralTransform.Rotate90:
                        b[(j * 16) + i] = (j & 1) != 0 ? value : -value;
                        break;
                    case DihedralTransform.Rotate180:
                        b[(i * 16) + j] = ((i + j) & 1) != 0 ? -value : value;
                        break;
                    case DihedralTransform.Rotate270:
                        b[(j * 16) + i] = (i & 1) != 0 ? value : -value;
                        break;
                    case DihedralTransform.FlipX:
                        b[(i * 16) + j] = (i & 1) != 0 ? value : -value;
                        break;
                    case DihedralTransform.FlipY:
                        b[(i * 16) + j] = (j & 1) != 0 ? value : -value;
                        break;
                    case DihedralTransform.FlipPlus1:
                        b[(j * 16) + i] = value;
                        break;
                    case DihedralTransform.FlipMinus1:
                        b[(j * 16) + i] = ((i + j) & 1) != 0 ? -value : value;
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(transform));
                }
            }
        }
    }

    /// <summary>Bit i*16+j is set when coefficient (i, j) is above the median of the 256 coefficients.</summary>
    public static PdqHash ToHash(ReadOnlySpan<float> b16x16)
    {
        var median = Torben(b16x16);
        Span<ulong> words = stackalloc ulong[PdqHash.WordCount];
        words.Clear();
        for (var k = 0; k < 256; k++)
        {
            if (b16x16[k] > median)
            {
                words[k >> 6] |= 1UL << (k & 63);
            }
        }

        return PdqHash.FromWords(words);
    }

    /// <summary>
    /// Torben Mogensen's median (the reference's choice): exact for odd counts, and for even counts returns the lower
    /// middle value or the midpoint guess exactly as the reference's implementation does.
    /// </summary>
    internal static float Torben(ReadOnlySpan<float> m)
    {
        var n = m.Length;
        float min = m[0], max = m[0];
        for (var i = 1; i < n; i++)
        {
            if (m[i] < min)
            {
                min = m[i];
            }

            if (m[i] > max)
            {
                max = m[i];
            }
        }

        int less, greater, equal;
        float guess, maxLessThanGuess, minGreaterThanGuess;
        var half = (n + 1) / 2;
        while (true)
        {
            guess = (min + max) / 2;
            less = 0;
            greater = 0;
            equal = 0;
            maxLessThanGuess = min;
            minGreaterThanGuess = max;
            for (var i = 0; i < n; i++)
            {
                var value = m[i];
                if (value < guess)
                {
                    less++;
                    if (value > maxLessThanGuess)
                    {
                        maxLessThanGuess = value;
                    }
                }
                else if (value > guess)
                {
                    greater++;
                    if (value < minGreaterThanGuess)
                    {
                        minGreaterThanGuess = value;
                    }
                }
                else
                {
                    equal++;
                }
            }

            if (less <= half && greater <= half)
            {
                break;
            }

            if (less > greater)
            {
                max = maxLessThanGuess;
            }
            else
            {
                min = minGreaterThanGuess;
            }
        }

        if (less >= half)
        {
            return maxLessThanGuess;
        }

        return less + equal >= half ? guess : minGreaterThanGuess;
    }
}
