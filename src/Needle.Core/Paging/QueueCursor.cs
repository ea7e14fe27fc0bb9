using System.Buffers.Binary;
using Needle.Core.Triage;

namespace Needle.Core.Paging;

/// <summary>
/// The keyset cursor of the review queue (<see cref="QueueQuery.After"/>): the order it belongs to, the last row's sort
/// key (its score, or its file count), received-at ticks and id, as base64url. One encoding for every backend, opaque to
/// callers.
/// </summary>
/// <param name="Order">The queue order the cursor was made for.</param>
/// <param name="Key">The last row's sort key: its score (<see cref="QueueOrder.Score"/>), its file count
/// (<see cref="QueueOrder.Files"/>), 0 for <see cref="QueueOrder.Age"/> (the received-at time is the key).</param>
/// <param name="ReceivedTicks">The last row's received-at time, in UTC ticks.</param>
/// <param name="Id">The last row's report id.</param>
public readonly record struct QueueCursor(QueueOrder Order, double Key, long ReceivedTicks, Guid Id)
{
    // A score cursor keeps the original 32 bytes (links made before the other orders stay valid); the others lead with
    // their order.
    private const int ScoreLength = 8 + 8 + 16;
    private const int OrderedLength = 1 + ScoreLength;

    /// <summary>The cursor as base64url text (no padding), for <see cref="QueueQuery.After"/>.</summary>
    public string Encode()
    {
        Span<byte> buffer = stackalloc byte[OrderedLength];
        var bytes = Order == QueueOrder.Score ? buffer[..ScoreLength] : buffer;
        var body = bytes;
        if (Order != QueueOrder.Score)
        {
            bytes[0] = (byte)Order;
            body = bytes[1..];
        }

        BinaryPrimitives.WriteDoubleBigEndian(body, Key);
        BinaryPrimitives.WriteInt64BigEndian(body[8..], ReceivedTicks);
        Id.TryWriteBytes(body[16..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Reads a cursor made by <see cref="Encode"/>.</summary>
    /// <exception cref="ArgumentException">The text is not a queue cursor.</exception>
    public static QueueCursor Decode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> bytes = stackalloc byte[OrderedLength + 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written is not (ScoreLength or OrderedLength))
        {
            throw new ArgumentException("The queue cursor is not valid.", nameof(text));
        }

        var order = QueueOrder.Score;
        ReadOnlySpan<byte> body = bytes[..written];
        if (written == OrderedLength)
        {
            order = (QueueOrder)body[0];
            if (order is not (QueueOrder.Age or QueueOrder.Files))
            {
                throw new ArgumentException("The queue cursor is not valid.", nameof(text));
            }

            body = body[1..];
        }

        var key = BinaryPrimitives.ReadDoubleBigEndian(body);
        if (!double.IsFinite(key))
        {
            throw new ArgumentException("The queue cursor is not valid.", nameof(text));
        }

        return new QueueCursor(order, key, BinaryPrimitives.ReadInt64BigEndian(body[8..]), new Guid(body.Slice(16, 16), bigEndian: true));
    }
}
