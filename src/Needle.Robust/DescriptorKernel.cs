using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Needle.Robust;

/// <summary>
/// Dot products of float descriptors: Vector256 or Vector128 where the hardware has them, scalar otherwise (the
/// <c>useVectors</c> switch forces the scalar code for tests and benchmarks).
/// </summary>
public static class DescriptorKernel
{
    /// <summary>The dot product of two equally long vectors.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b, bool useVectors = true)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(b));
        }

        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var sum = 0f;
        if (useVectors && Vector256.IsHardwareAccelerated && a.Length >= 2 * Vector256<float>.Count)
        {
            var acc0 = Vector256<float>.Zero;
            var acc1 = Vector256<float>.Zero;
            for (; i <= a.Length - (2 * Vector256<float>.Count); i += 2 * Vector256<float>.Count)
            {
                acc0 = MultiplyAdd(Vector256.LoadUnsafe(ref ra, (nuint)i), Vector256.LoadUnsafe(ref rb, (nuint)i), acc0);
                acc1 = MultiplyAdd(Vector256.LoadUnsafe(ref ra, (nuint)(i + Vector256<float>.Count)), Vector256.LoadUnsafe(ref rb, (nuint)(i + Vector256<float>.Count)), acc1);
            }

            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (useVectors && Vector128.IsHardwareAccelerated && a.Length >= Vector128<float>.Count)
        {
            var acc = Vector128<float>.Zero;
            for (; i <= a.Length - Vector128<float>.Count; i += Vector128<float>.Count)
            {
                acc += Vector128.LoadUnsafe(ref ra, (nuint)i) * Vector128.LoadUnsafe(ref rb, (nuint)i);
            }

            sum = Vector128.Sum(acc);
        }

        for (; i < a.Length; i++)
        {
            sum += Unsafe.Add(ref ra, i) * Unsafe.Add(ref rb, i);
        }

        return sum;
    }

    /// <summary>
    /// Scores every row of <paramref name="rows"/> (<paramref name="dimension"/> floats each) against
    /// <paramref name="query"/> into <paramref name="scores"/>.
    /// </summary>
    public static void ScoreAll(ReadOnlySpan<float> rows, int dimension, ReadOnlySpan<float> query, Span<float> scores, bool useVectors = true)
    {
        var count = rows.Length / dimension;
        if (query.Length != dimension || scores.Length < count)
        {
            throw new ArgumentException("The query or the score buffer does not fit the rows.", nameof(query));
        }

        for (var r = 0; r < count; r++)
        {
            scores[r] = Dot(rows.Slice(r * dimension, dimension), query, useVectors);
        }
    }

    /// <summary>Scales <paramref name="vector"/> to length 1 (a zero vector is left as it is).</summary>
    public static void Normalize(Span<float> vector)
    {
        var length = MathF.Sqrt(Dot(vector, vector));
        if (length > 0 && float.IsFinite(length))
        {
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] /= length;
            }
        }
    }

    // A plain multiply and add: Vector256.FusedMultiplyAdd falls back to slow software on CPUs without FMA.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> MultiplyAdd(Vector256<float> a, Vector256<float> b, Vector256<float> accumulator) =>
        (a * b) + accumulator;
}
