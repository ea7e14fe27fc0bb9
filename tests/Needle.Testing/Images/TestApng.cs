using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace Needle.Testing.Images;

/// <summary>One APNG frame to write: RGBA pixels, its rectangle on the canvas, dispose_op and blend_op, delay in 1/100 s.</summary>
public sealed record TestApngFrame(byte[] Rgba, int Width, int Height, int X = 0, int Y = 0, byte Dispose = 0, byte Blend = 0, ushort DelayCentiseconds = 10);

/// <summary>
/// Writes APNG files chunk by chunk (8-bit RGBA, no filtering), independently of the decoder under test: frame 0 is
/// the default image (fcTL then IDAT), later frames are fcTL + fdAT, with sequence numbers and CRCs.
/// </summary>
public static class TestApng
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Frames of one size (<see cref="TestAnimations.Frames"/>), each whole-canvas, blend SOURCE, dispose NONE.</summary>
    public static byte[] Write(byte[][] frames, int width = 240, int height = 160) =>
        Write(width, height, [.. frames.Select(rgba => new TestApngFrame(rgba, width, height))]);

    /// <summary>An APNG of <paramref name="frames"/> on a <paramref name="width"/> x <paramref name="height"/> canvas; <paramref name="declaredFrames"/> overrides acTL's count.</summary>
    public static byte[] Write(int width, int height, IReadOnlyList<TestApngFrame> frames, uint? declaredFrames = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        using var output = new MemoryStream();
        output.Write(Signature);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = 6;
        Chunk(output, "IHDR", header);
        var animation = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(animation, declaredFrames ?? (uint)frames.Count);
        Chunk(output, "acTL", animation);
        var sequence = 0u;
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            var control = new byte[26];
            BinaryPrimitives.WriteUInt32BigEndian(control, sequence++);
            BinaryPrimitives.WriteInt32BigEndian(control.AsSpan(4), frame.Width);
            BinaryPrimitives.WriteInt32BigEndian(control.AsSpan(8), frame.Height);
            BinaryPrimitives.WriteInt32BigEndian(control.AsSpan(12), frame.X);
            BinaryPrimitives.WriteInt32BigEndian(control.AsSpan(16), frame.Y);
            BinaryPrimitives.WriteUInt16BigEndian(control.AsSpan(20), frame.DelayCentiseconds);
            BinaryPrimitives.WriteUInt16BigEndian(control.AsSpan(22), 100);
            control[24] = frame.Dispose;
            control[25] = frame.Blend;
            Chunk(output, "fcTL", control);
            var data = Deflate(frame.Rgba, frame.Width, frame.Height);
            if (i == 0)
            {
                Chunk(output, "IDAT", data);
            }
            else
            {
                var body = new byte[data.Length + 4];
                BinaryPrimitives.WriteUInt32BigEndian(body, sequence++);
                data.CopyTo(body, 4);
                Chunk(output, "fdAT", body);
            }
        }

        Chunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>The chunks of a PNG: type, offset of the chunk's length field, data length.</summary>
    public static IReadOnlyList<(string Type, int Offset, int Length)> Chunks(byte[] png)
    {
        ArgumentNullException.ThrowIfNull(png);
        var chunks = new List<(string, int, int)>();
        for (var position = Signature.Length; position + 12 <= png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(position));
            chunks.Add((Encoding.ASCII.GetString(png, position + 4, 4), position, length));
            position += 12 + length;
        }

        return chunks;
    }

    /// <summary>A solid RGBA block.</summary>
    public static byte[] Solid(int width, int height, byte r, byte g, byte b, byte a = 255)
    {
        var rgba = new byte[width * height * 4];
        for (var i = 0; i < rgba.Length; i += 4)
        {
            rgba[i] = r;
            rgba[i + 1] = g;
            rgba[i + 2] = b;
            rgba[i + 3] = a;
        }

        return rgba;
    }

    private static byte[] Deflate(byte[] rgba, int width, int height)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal))
        {
            for (var row = 0; row < height; row++)
            {
                zlib.WriteByte(0);
                zlib.Write(rgba, row * width * 4, width * 4);
            }
        }

        return compressed.ToArray();
    }

    private static void Chunk(Stream output, string type, byte[] body)
    {
        var buffer = new byte[body.Length + 12];
        BinaryPrimitives.WriteInt32BigEndian(buffer, body.Length);
        Encoding.ASCII.GetBytes(type, buffer.AsSpan(4));
        body.CopyTo(buffer, 8);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(8 + body.Length), Crc32.HashToUInt32(buffer.AsSpan(4, 4 + body.Length)));
        output.Write(buffer);
    }
}
