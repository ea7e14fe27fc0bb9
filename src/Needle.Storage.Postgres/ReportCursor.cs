using System.Buffers.Binary;

namespace Needle.Storage.Postgres;

/// <summary>The keyset cursor of a report listing: the (received_at ticks, id) of the last row shown, as base64url.</summary>
internal readonly record struct ReportCursor(long ReceivedTicks, Guid Id)
{
    private const int Length = 8 + 16;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, ReceivedTicks);
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <exception cref="ArgumentException">The text is not a cursor this store made.</exception>
    public static ReportCursor Decode(string text)
    {
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        Span<byte> bytes = stackalloc byte[Length + 3];
        if (!Convert.TryFromBase64String(base64, bytes, out var written) || written != Length)
        {
            throw new ArgumentException("The paging cursor is not valid.", nameof(text));
        }

        return new ReportCursor(BinaryPrimitives.ReadInt64BigEndian(bytes), new Guid(bytes.Slice(8, 16), bigEndian: true));
    }
}
