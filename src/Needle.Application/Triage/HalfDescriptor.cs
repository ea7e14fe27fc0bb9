using System.Buffers.Binary;

namespace Needle.Application.Triage;

/// <summary>A global descriptor as stored: little-endian half floats, 2 bytes a value (its precision is plenty for a cosine).</summary>
internal static class HalfDescriptor
{
    public static byte[] Encode(ReadOnlySpan<float> descriptor)
    {
        var bytes = new byte[descriptor.Length * 2];
        for (var i = 0; i < descriptor.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)descriptor[i]);
        }

        return bytes;
    }

    /// <summary>Decodes into <paramref name="values"/>; false when the length does not fit or a value is not finite.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, Span<float> values)
    {
        if (bytes.Length != values.Length * 2)
        {
            return false;
        }

        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
            if (!float.IsFinite(values[i]))
            {
                return false;
            }
        }

        return true;
    }
}
