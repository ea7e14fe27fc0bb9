using System.Buffers;

namespace Needle.Hashing.Decoding;

/// <summary>
/// Byte buffers for decoding: small ones come from <see cref="ArrayPool{T}.Shared"/>; large ones are plain arrays
/// that the garbage collector takes back, so a spike of big images does not stay held in the pool afterwards.
/// </summary>
internal static class DecodeBuffers
{
    /// <summary>Buffers up to this length are pooled.</summary>
    public const int PooledLimit = 4 * 1024 * 1024;

    /// <summary>A buffer of at least <paramref name="length"/> bytes; its contents are undefined.</summary>
    public static byte[] Rent(int length) =>
        length <= PooledLimit ? ArrayPool<byte>.Shared.Rent(length) : GC.AllocateUninitializedArray<byte>(length);

    /// <summary>Gives back a buffer from <see cref="Rent"/>: pooled when small, dropped when large.</summary>
    public static void Return(byte[] buffer)
    {
        if (buffer.Length <= PooledLimit)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
