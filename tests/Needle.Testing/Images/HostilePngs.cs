using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Needle.Testing.Images;

/// <summary>
/// PNG files written byte by byte, for the decode limits: valid files that claim huge dimensions while staying small.
/// </summary>
public static class HostilePngs
{
    /// <summary>A valid 8-bit grey PNG of zeros; it compresses to a few hundred KB however large it claims to be.</summary>
    public static byte[] HugeGrey(int width, int height)
    {
        using var idat = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[width + 1];
            for (var y = 0; y < height; y++)
            {
                zlib.Write(row);
            }
        }

        using var png = new MemoryStream();
        WriteSignatureAndHeader(png, width, height, colourType: 0);
        Chunk(png, "IDAT"u8, idat.ToArray());
        Chunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    /// <summary>The signature, an IHDR claiming <paramref name="width"/>x<paramref name="height"/> RGB, and IEND: 45 bytes.</summary>
    public static byte[] HeaderOnly(int width, int height)
    {
        using var png = new MemoryStream();
        WriteSignatureAndHeader(png, width, height, colourType: 2);
        Chunk(png, "IEND"u8, []);
        return png.ToArray();
    }

    private static void WriteSignatureAndHeader(Stream png, int width, int height, byte colourType)
    {
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = colourType; // 0 grey, 2 RGB
        Chunk(png, "IHDR"u8, ihdr);
    }

    private static void Chunk(Stream png, ReadOnlySpan<byte> type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        byte[] typeAndData = [.. type, .. data];
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.HashToUInt32(typeAndData));
        png.Write(word);
    }
}
