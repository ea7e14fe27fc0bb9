using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Needle.Matching.Lists;

/// <summary>
/// Microsoft PhotoDNA: a 144-byte vector computed by licensed software elsewhere; Needle only compares vectors.
/// Accepted text forms: base64 of the 144 bytes (as VICS and NCMEC ship it), 288 hex digits, or 144 comma-separated
/// decimal bytes. The canonical form is base64.
/// </summary>
/// <remarks>
/// Distance is Euclidean over the 144 bytes. DEFAULT THRESHOLD (an assumption to confirm against the hotline's
/// PhotoDNA licence guidance): 200, i.e. a squared distance of 40,000. Unrelated images are typically well above
/// 1,000; lists should set their own threshold explicitly.
/// </remarks>
internal sealed class PhotoDnaSignalType : SignalType
{
    public const int VectorLength = 144;

    public const double DefaultPhotoDnaThreshold = 200;

    public override string Name => "photodna";

    public override SignalComparison Comparison => SignalComparison.Euclidean;

    public override double DefaultThreshold => DefaultPhotoDnaThreshold;

    internal override int ValueBytes => VectorLength;

    internal override void EncodeValue(string canonical, Span<byte> destination)
    {
        if (!Convert.TryFromBase64String(canonical, destination, out var written) || written != VectorLength)
        {
            throw new FormatException($"Invalid PhotoDNA value '{canonical}'.");
        }
    }

    internal override string DecodeValue(ReadOnlySpan<byte> source) => Convert.ToBase64String(source);

    public override bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem)
    {
        Span<byte> bytes = stackalloc byte[VectorLength];
        if (!TryParseVector(text, bytes, out problem))
        {
            normalized = null;
            return false;
        }

        normalized = Convert.ToBase64String(bytes);
        return true;
    }

    /// <summary>Parses any accepted text form into exactly 144 bytes.</summary>
    public static bool TryParseVector(ReadOnlySpan<char> text, Span<byte> destination, [NotNullWhen(false)] out string? problem)
    {
        text = text.Trim();
        problem = null;
        if (text.IsEmpty)
        {
            problem = "a PhotoDNA vector is empty";
            return false;
        }

        if (text.Contains(','))
        {
            var count = 0;
            foreach (var range in text.Split(','))
            {
                var part = text[range].Trim();
                if (count == VectorLength || !byte.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var b))
                {
                    problem = count == VectorLength
                        ? $"a PhotoDNA vector has {VectorLength} comma-separated bytes; got more"
                        : $"PhotoDNA byte {count + 1} '{part.ToString()}' is not a number from 0 to 255";
                    return false;
                }

                destination[count++] = b;
            }

            if (count != VectorLength)
            {
                problem = $"a PhotoDNA vector has {VectorLength} comma-separated bytes; got {count}";
                return false;
            }

            return true;
        }

        if (text.Length == VectorLength * 2 && HexKeys.IsHex(text))
        {
            return Convert.FromHexString(text, destination, out _, out var written) == System.Buffers.OperationStatus.Done && written == VectorLength
                || Fail(out problem, "PhotoDNA hex did not decode");
        }

        // Base64 of 144 bytes is 192 characters; allow line breaks some exporters insert.
        Span<byte> decoded = stackalloc byte[(text.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(text, decoded, out var length) || length != VectorLength)
        {
            problem = $"a PhotoDNA vector is {VectorLength} bytes as base64, {VectorLength * 2} hex digits or {VectorLength} comma-separated bytes; got {PdqSignalType.Describe(text)}";
            return false;
        }

        decoded[..VectorLength].CopyTo(destination);
        return true;
    }

    public override void ValidateThreshold(double threshold)
    {
        // The largest possible distance is sqrt(144 * 255^2) ~ 3060.
        if (double.IsNaN(threshold) || threshold is < 0 or > 3061)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "A PhotoDNA threshold is a Euclidean distance from 0 to 3060.");
        }
    }

    internal override SignalMatcher CreateMatcher(SignalMatcherContext context) => new PhotoDnaSignalMatcher();

    private static bool Fail(out string problem, string message)
    {
        problem = message;
        return false;
    }
}

/// <summary>Squared Euclidean distance of PhotoDNA vectors with early exit once a limit is passed.</summary>
internal static class PhotoDnaDistance
{
    /// <summary>Squared distance, or some value above <paramref name="limit"/> as soon as the partial sum passes it.</summary>
    public static int SquaredDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int limit) =>
        Vector256.IsHardwareAccelerated ? SquaredDistanceVector256(a, b, limit) : SquaredDistanceScalar(a, b, limit);

    internal static int SquaredDistanceScalar(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int limit)
    {
        var length = PhotoDnaSignalType.VectorLength;
        a = a[..length];
        b = b[..length];
        var sum = 0;
        for (var i = 0; i < length; i++)
        {
            var d = a[i] - b[i];
            sum += d * d;
            if ((i & 15) == 15 && sum > limit)
            {
                return sum;
            }
        }

        return sum;
    }

    internal static int SquaredDistanceVector256(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, int limit)
    {
        const int length = PhotoDnaSignalType.VectorLength;
        if (a.Length < length || b.Length < length)
        {
            throw new ArgumentException("PhotoDNA vectors are 144 bytes.");
        }

        ref var ra = ref MemoryMarshal.GetReference(a);
        ref var rb = ref MemoryMarshal.GetReference(b);
        var acc = Vector256<int>.Zero;
        var i = 0;

        // Bytes widen to 16-bit lanes, differences (-255..255) widen to 32-bit lanes, then square and accumulate:
        // 144 * 255^2 fits in an int, so no overflow.
        for (; i + Vector256<byte>.Count <= length; i += Vector256<byte>.Count)
        {
            var va = Vector256.LoadUnsafe(ref Unsafe.Add(ref ra, i));
            var vb = Vector256.LoadUnsafe(ref Unsafe.Add(ref rb, i));
            var (aLo, aHi) = Vector256.Widen(va);
            var (bLo, bHi) = Vector256.Widen(vb);
            var dLo = aLo.AsInt16() - bLo.AsInt16();
            var dHi = aHi.AsInt16() - bHi.AsInt16();
            var (d0, d1) = Vector256.Widen(dLo);
            var (d2, d3) = Vector256.Widen(dHi);
            acc += (d0 * d0) + (d1 * d1) + (d2 * d2) + (d3 * d3);
            var partial = Vector256.Sum(acc);
            if (partial > limit)
            {
                return partial;
            }
        }

        var sum = Vector256.Sum(acc);
        for (; i < length; i++)
        {
            var d = Unsafe.Add(ref ra, i) - Unsafe.Add(ref rb, i);
            sum += d * d;
        }

        return sum;
    }
}

/// <summary>
/// Brute-force PhotoDNA search over one contiguous byte array (144 bytes per entry) so the scan streams through
/// memory; removal swaps the last vector into the hole.
/// </summary>
internal sealed class PhotoDnaSignalMatcher : SignalMatcher
{
    private const int Length = PhotoDnaSignalType.VectorLength;
    private byte[] _vectors = new byte[Length * 16];
    private int[] _slots = new int[16];
    private bool[] _enabled = new bool[16];
    private int _count;
    private readonly Dictionary<int, int> _positionBySlot = [];

    public override void Add(int slot, int valueRow, ReadOnlySpan<byte> value, bool enabled)
    {
        if (_count == _slots.Length)
        {
            Array.Resize(ref _vectors, _vectors.Length * 2);
            Array.Resize(ref _slots, _slots.Length * 2);
            Array.Resize(ref _enabled, _enabled.Length * 2);
        }

        value.CopyTo(_vectors.AsSpan(_count * Length, Length));
        _slots[_count] = slot;
        _enabled[_count] = enabled;
        _positionBySlot.Add(slot, _count);
        _count++;
    }

    public override void Remove(int slot, int valueRow)
    {
        if (!_positionBySlot.Remove(slot, out var position))
        {
            return;
        }

        var last = _count - 1;
        if (position != last)
        {
            _vectors.AsSpan(last * Length, Length).CopyTo(_vectors.AsSpan(position * Length, Length));
            _slots[position] = _slots[last];
            _enabled[position] = _enabled[last];
            _positionBySlot[_slots[position]] = position;
        }

        _count--;
    }

    public override void SetEnabled(int slot, int valueRow, bool enabled)
    {
        if (_positionBySlot.TryGetValue(slot, out var position))
        {
            _enabled[position] = enabled;
        }
    }

    public override void Match(FileSignals signals, double maxDistance, List<SignalHit> hits)
    {
        if (signals.PhotoDna is not { } query)
        {
            return;
        }

        if (query.Length != Length)
        {
            throw new ArgumentException($"A PhotoDNA vector is {Length} bytes; got {query.Length}.", nameof(signals));
        }

        var limit = (int)Math.Min(int.MaxValue, Math.Floor(maxDistance * maxDistance));
        var vectors = _vectors.AsSpan();
        var q = query.AsSpan();
        for (var i = 0; i < _count; i++)
        {
            if (!_enabled[i])
            {
                continue;
            }

            var squared = PhotoDnaDistance.SquaredDistance(q, vectors.Slice(i * Length, Length), limit);
            if (squared <= limit)
            {
                hits.Add(new SignalHit(_slots[i], Math.Sqrt(squared), Hashing.DihedralTransform.Original));
            }
        }
    }
}
