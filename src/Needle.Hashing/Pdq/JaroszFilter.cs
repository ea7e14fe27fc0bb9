using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Needle.Hashing.Pdq;

/// <summary>
/// The reference's Jarosz filter: repeated box blurs along rows then columns, which approximate a tent (then a
/// quadratic) filter before decimation. A running sum slides across the line; every output is sum / window count.
/// </summary>
/// <remarks>
/// The running sum accumulates float rounding along the whole line, so the reference's exact sequence of adds and
/// subtracts has to be kept. The vector paths run eight independent lines side by side (eight columns, or eight rows
/// through a transposed block), each lane doing its own line's operations in order, so results stay bit-identical.
/// </remarks>
internal static class JaroszFilter
{
    private const int Lanes = 8;

    /// <summary>Window size for scaling <paramref name="oldDimension"/> to <paramref name="newDimension"/>: ceil(old / (2 * new)).</summary>
    public static int WindowSize(int oldDimension, int newDimension) =>
        (oldDimension + (2 * newDimension) - 1) / (2 * newDimension);

    /// <summary>
    /// Blurs <paramref name="buffer1"/> (rows x cols, row-major) in place, using <paramref name="buffer2"/> as scratch.
    /// </summary>
    public static void Apply(
        Span<float> buffer1,
        Span<float> buffer2,
        int rows,
        int cols,
        int windowAlongRows,
        int windowAlongCols,
        int passes,
        bool useVectors)
    {
        var vectors = useVectors && Vector256.IsHardwareAccelerated;
        for (var pass = 0; pass < passes; pass++)
        {
            if (vectors)
            {
                BoxAlongRowsVector(buffer1, buffer2, rows, cols, windowAlongRows);
                BoxAlongColsVector(buffer2, buffer1, rows, cols, windowAlongCols);
            }
            else
            {
                for (var i = 0; i < rows; i++)
                {
                    Box1D(buffer1.Slice(i * cols, cols), buffer2.Slice(i * cols, cols), windowAlongRows);
                }

                BoxAlongColsScalar(buffer2, buffer1, rows, cols, windowAlongCols);
            }
        }
    }

    /// <summary>One box blur along a contiguous line, exactly as the reference's <c>box1DFloat</c>.</summary>
    internal static void Box1D(ReadOnlySpan<float> input, Span<float> output, int fullWindow) =>
        BoxStridedScalar(input, output, 0, input.Length, 1, fullWindow);

    private static void BoxAlongColsScalar(ReadOnlySpan<float> input, Span<float> output, int rows, int cols, int fullWindow)
    {
        for (var j = 0; j < cols; j++)
        {
            BoxStridedScalar(input, output, j, rows, cols, fullWindow);
        }
    }

    /// <summary>Eight columns at a time: lane c runs column j + c's line.</summary>
    private static void BoxAlongColsVector(ReadOnlySpan<float> input, Span<float> output, int rows, int cols, int fullWindow)
    {
        var vectorCols = cols - (cols % Lanes);
        ref var src = ref MemoryMarshal.GetReference(input);
        ref var dst = ref MemoryMarshal.GetReference(output);
        for (var j = 0; j < vectorCols; j += Lanes)
        {
            BoxStridedVector(ref Unsafe.Add(ref src, j), ref Unsafe.Add(ref dst, j), rows, cols, fullWindow);
        }

        if (vectorCols < cols)
        {
            // The last few columns: run the scalar column code on them.
            for (var j = vectorCols; j < cols; j++)
            {
                BoxStridedScalar(input, output, j, rows, cols, fullWindow);
            }
        }
    }

    /// <summary>
    /// The reference's <c>box1DFloat</c> on the line input[start], input[start + stride], ... of
    /// <paramref name="length"/> values: a running sum over a window that grows at the start and shrinks at the end.
    /// </summary>
    private static void BoxStridedScalar(ReadOnlySpan<float> input, Span<float> output, int start, int length, int stride, int fullWindow)
    {
        var halfWindow = (fullWindow + 2) / 2;
        var phase1 = halfWindow - 1;
        var phase2 = fullWindow - halfWindow + 1;
        var phase3 = length - fullWindow;
        var phase4 = halfWindow - 1;
        int li = start, ri = start, oi = start, count = 0;
        var sum = 0f;
        for (var i = 0; i < phase1; i++, ri += stride)
        {
            sum += input[ri];
            count++;
        }

        for (var i = 0; i < phase2; i++, ri += stride, oi += stride)
        {
            sum += input[ri];
            count++;
            output[oi] = sum / count;
        }

        for (var i = 0; i < phase3; i++, ri += stride, li += stride, oi += stride)
        {
            sum += input[ri];
            sum -= input[li];
            output[oi] = sum / count;
        }

        for (var i = 0; i < phase4; i++, li += stride, oi += stride)
        {
            sum -= input[li];
            count--;
            output[oi] = sum / count;
        }
    }

    /// <summary>
    /// Box blur of eight interleaved lines: element e of lane c is at <c>src[e * stride + c]</c>. Used directly for
    /// columns (stride = cols) and for transposed row blocks (stride = 8).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BoxStridedVector(ref float src, ref float dst, int length, int stride, int fullWindow)
    {
        var halfWindow = (fullWindow + 2) / 2;
        var phase1 = halfWindow - 1;
        var phase2 = fullWindow - halfWindow + 1;
        var phase3 = length - fullWindow;
        var phase4 = halfWindow - 1;
        nuint li = 0, ri = 0, oi = 0;
        var step = (nuint)stride;
        var count = 0;
        var sum = Vector256<float>.Zero;
        for (var i = 0; i < phase1; i++, ri += step)
        {
            sum += Vector256.LoadUnsafe(ref src, ri);
            count++;
        }

        for (var i = 0; i < phase2; i++, ri += step, oi += step)
        {
            sum += Vector256.LoadUnsafe(ref src, ri);
            count++;
            (sum / Vector256.Create((float)count)).StoreUnsafe(ref dst, oi);
        }

        var divisor = Vector256.Create((float)count);
        for (var i = 0; i < phase3; i++, ri += step, li += step, oi += step)
        {
            sum += Vector256.LoadUnsafe(ref src, ri);
            sum -= Vector256.LoadUnsafe(ref src, li);
            (sum / divisor).StoreUnsafe(ref dst, oi);
        }

        for (var i = 0; i < phase4; i++, li += step, oi += step)
        {
            sum -= Vector256.LoadUnsafe(ref src, li);
            count--;
            (sum / Vector256.Create((float)count)).StoreUnsafe(ref dst, oi);
        }
    }

    /// <summary>
    /// Eight rows at a time: the block is transposed into an interleaved scratch line (element e of row r at
    /// e * 8 + r), blurred with the strided vector kernel, and transposed back.
    /// </summary>
    private static void BoxAlongRowsVector(ReadOnlySpan<float> input, Span<float> output, int rows, int cols, int fullWindow)
    {
        var vectorRows = rows - (rows % Lanes);
        var scratchLength = cols * Lanes;
        float[]? rented = null;
        var scratch = scratchLength <= 4096
            ? stackalloc float[scratchLength * 2]
            : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(scratchLength * 2)).AsSpan(0, scratchLength * 2);
        try
        {
            var interleavedIn = scratch[..scratchLength];
            var interleavedOut = scratch.Slice(scratchLength, scratchLength);
            for (var i = 0; i < vectorRows; i += Lanes)
            {
                var block = input.Slice(i * cols, cols * Lanes);
                Interleave(block, interleavedIn, cols);
                BoxStridedVector(
                    ref MemoryMarshal.GetReference(interleavedIn),
                    ref MemoryMarshal.GetReference(interleavedOut),
                    cols,
                    Lanes,
                    fullWindow);
                Deinterleave(interleavedOut, output.Slice(i * cols, cols * Lanes), cols);
            }

            for (var i = vectorRows; i < rows; i++)
            {
                Box1D(input.Slice(i * cols, cols), output.Slice(i * cols, cols), fullWindow);
            }
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>8 rows of <paramref name="cols"/> values to one line where element e of row r is at e * 8 + r.</summary>
    private static void Interleave(ReadOnlySpan<float> block, Span<float> interleaved, int cols)
    {
        ref var src = ref MemoryMarshal.GetReference(block);
        ref var dst = ref MemoryMarshal.GetReference(interleaved);
        var e = 0;
        for (; e <= cols - Lanes; e += Lanes)
        {
            Transpose8x8(ref Unsafe.Add(ref src, e), cols, ref Unsafe.Add(ref dst, e * Lanes), Lanes);
        }

        for (; e < cols; e++)
        {
            for (var r = 0; r < Lanes; r++)
            {
                Unsafe.Add(ref dst, (e * Lanes) + r) = Unsafe.Add(ref src, (r * cols) + e);
            }
        }
    }

    private static void Deinterleave(ReadOnlySpan<float> interleaved, Span<float> block, int cols)
    {
        ref var src = ref MemoryMarshal.GetReference(interleaved);
        ref var dst = ref MemoryMarshal.GetReference(block);
        var e = 0;
        for (; e <= cols - Lanes; e += Lanes)
        {
            Transpose8x8(ref Unsafe.Add(ref src, e * Lanes), Lanes, ref Unsafe.Add(ref dst, e), cols);
        }

        for (; e < cols; e++)
        {
            for (var r = 0; r < Lanes; r++)
            {
                Unsafe.Add(ref dst, (r * cols) + e) = Unsafe.Add(ref src, (e * Lanes) + r);
            }
        }
    }

    /// <summary>Transposes an 8x8 float block: row r of the source (at r * srcStride) becomes column r of the destination.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(ref float src, int srcStride, ref float dst, int dstStride)
    {
        if (System.Runtime.Intrinsics.X86.Avx.IsSupported)
        {
            TransposeAvx(ref src, srcStride, ref dst, dstStride);
            return;
        }

        for (var r = 0; r < Lanes; r++)
        {
            for (var c = 0; c < Lanes; c++)
            {
                Unsafe.Add(ref dst, (c * dstStride) + r) = Unsafe.Add(ref src, (r * srcStride) + c);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TransposeAvx(ref float src, int srcStride, ref float dst, int dstStride)
    {
        // The classic 8x8 transpose with unpack, shuffle and 128-bit lane permutes (pure data movement).
        var r0 = Vector256.LoadUnsafe(ref src);
        var r1 = Vector256.LoadUnsafe(ref src, (nuint)srcStride);
        var r2 = Vector256.LoadUnsafe(ref src, (nuint)(2 * srcStride));
        var r3 = Vector256.LoadUnsafe(ref src, (nuint)(3 * srcStride));
        var r4 = Vector256.LoadUnsafe(ref src, (nuint)(4 * srcStride));
        var r5 = Vector256.LoadUnsafe(ref src, (nuint)(5 * srcStride));
        var r6 = Vector256.LoadUnsafe(ref src, (nuint)(6 * srcStride));
        var r7 = Vector256.LoadUnsafe(ref src, (nuint)(7 * srcStride));

        var t0 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r0, r1);
        var t1 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r0, r1);
        var t2 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r2, r3);
        var t3 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r2, r3);
        var t4 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r4, r5);
        var t5 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r4, r5);
        var t6 = System.Runtime.Intrinsics.X86.Avx.UnpackLow(r6, r7);
        var t7 = System.Runtime.Intrinsics.X86.Avx.UnpackHigh(r6, r7);

        var s0 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t0, t2, 0x44);
        var s1 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t0, t2, 0xEE);
        var s2 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t1, t3, 0x44);
        var s3 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t1, t3, 0xEE);
        var s4 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t4, t6, 0x44);
        var s5 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t4, t6, 0xEE);
        var s6 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t5, t7, 0x44);
        var s7 = System.Runtime.Intrinsics.X86.Avx.Shuffle(t5, t7, 0xEE);

        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref dst);
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref dst, (nuint)dstStride);
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref dst, (nuint)(2 * dstStride));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref dst, (nuint)(3 * dstStride));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref dst, (nuint)(4 * dstStride));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref dst, (nuint)(5 * dstStride));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref dst, (nuint)(6 * dstStride));
        System.Runtime.Intrinsics.X86.Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref dst, (nuint)(7 * dstStride));
    }
}
