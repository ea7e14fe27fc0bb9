using System.Buffers.Binary;
using Needle.Core.Reports;

namespace Needle.Core.Paging;

/// <summary>
/// The keyset cursor of a report listing (<see cref="ReportQuery.After"/>, <see cref="Page{T}.Next"/>): the received-at
/// ticks and id of the last row shown, as base64url. Every backend uses this one encoding, so a cursor is opaque to
/// callers and means the same on any store.
/// </summary>
/// <param name="ReceivedTicks">The last row's received-at time, in UTC ticks.</param>
/// <param name="Id">The last row's report id.</param>
public readonly record struct ReportCursor(long ReceivedTicks, Guid Id)
{
    private const int Length = 8 + 16;

    /// <summary>The cursor as base64url text (no padding), for <see cref="ReportQuery.After"/>.</summary>
    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, ReceivedTicks);
        Id.TryWriteBytes(bytes[8..], bigEndian: true, out _);
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>Reads a cursor made by <see cref="Encode"/>.</summary>
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
