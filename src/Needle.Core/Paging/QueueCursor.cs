using System.Buffers.Binary;
using Needle.Core.Triage;

namespace Needle.Core.Paging;

/// <summary>
/// The keyset cursor of the review queue (<see cref="QueueQuery.After"/>): the score, received-at ticks and id of the
/// last row shown, as base64url. One encoding for every backend, opaque to callers.
/// </summary>
/// <param name="Score">The last row's priority score.</param>
/// <param name="ReceivedTicks">The last row's received-at time, in UTC ticks.</param>
/// <param name="Id">The last row's report id.</param>
public readonly record struct QueueCursor(double Score, long ReceivedTicks, Guid Id)
{
    private const int Length = 8 + 8 + 16;

    /// <summary>The cursor as base64url text (no padding), for <see cref="QueueQuery.After"/>.</summary>
    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteDoubleBigEndian(bytes, Score);
        BinaryPrimitives.WriteInt64BigEndian(bytes[8..], ReceivedTicks);
        Id.TryWriteBytes(bytes[16..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Reads a cursor made by <see cref="Encode"/>.</summary>
    /// <exception cref="ArgumentException">The text is not a queue cursor.</exception>
    public static QueueCursor Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> bytes = stackalloc byte[Length + 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != Length)
        {
            throw new ArgumentException("The queue cursor is not valid.", nameof(text));
        }

        var score = BinaryPrimitives.ReadDoubleBigEndian(bytes);
        if (!double.IsFinite(score))
        {
            throw new ArgumentException("The queue cursor is not valid.", nameof(text));
        }

        return new QueueCursor(score, BinaryPrimitives.ReadInt64BigEndian(bytes[8..]), new Guid(bytes.Slice(16, 16), bigEndian: true));
    }
}
