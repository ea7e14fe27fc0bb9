using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Needle.Robust;

/// <summary>
/// Integer dot products of int8-quantised descriptors against a query widened to int16: AVX2's multiply-add of
/// adjacent pairs (16 values a step) where the CPU has it, scalar otherwise (the <c>useVectors</c> switch forces the
/// scalar code for tests and benchmarks). Exact: the sums fit in 32 bits for descriptors up to 4096 values.
/// </summary>
public static class QuantizedDescriptorKernel
{
    /// <summary>Quantises <paramref name="vector"/> to <paramref name="quantised"/> (-127..127 over its largest magnitude); returns the scale that turns the integers back into values.</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> quantised)
    {
        if (quantised.Length != vector.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(quantised));
        }

        var largest = 0f;
        foreach (var value in vector)
        {
            largest = MathF.Max(largest, MathF.Abs(value));
        }

        if (largest == 0 || !float.IsFinite(largest))
        {
            quantised.Clear();
            return 0;
        }

        var factor = 127 / largest;
        for (var i = 0; i < vector.Length; i++)
        {
            quantised[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * factor), -127, 127);
        }

        return largest / 127;
    }

    /// <summary>The integer dot product of a quantised row and a quantised query widened to int16, equally long.</summary>
    public static int Dot(ReadOnlySpan<sbyte> row, ReadOnlySpan<short> query, bool useVectors = true)
    {
        if (row.Length != query.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(query));
        }

        ref var r = ref MemoryMarshal.GetReference(row);
        ref var q = ref MemoryMarshal.GetReference(query);
        var i = 0;
        var sum = 0;
        if (useVectors && Avx2.IsSupported && row.Length >= 32)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i <= row.Length - 32; i += 32)
            {
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref r, (nuint)i)), Vector256.LoadUnsafe(ref q, (nuint)i)));
                acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref r, (nuint)(i + 16))), Vector256.LoadUnsafe(ref q, (nuint)(i + 16))));
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        for (; i < row.Length; i++)
        {
            sum += Unsafe.Add(ref r, i) * Unsafe.Add(ref q, i);
        }

        return sum;
    }
}
