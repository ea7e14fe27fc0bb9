using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Needle.Matching.Lists;

/// <summary>
/// A picture's robust entry: its size at the working scale, an L2-normalised global descriptor, and local keypoints
/// (positions and 32-byte binary descriptors). Stored in lists as <c>r1.</c> + base64 of a compact little-endian
/// layout: version, width, height, descriptor length, the descriptor as half floats, keypoint count, positions in
/// 1/32 px, then the keypoint descriptors.
/// </summary>
public sealed class RobustFeatures
{
    /// <summary>Bytes in one keypoint descriptor (ORB's 256 bits).</summary>
    public const int KeypointDescriptorBytes = 32;

    /// <summary>Most keypoints an entry holds.</summary>
    public const int MaxKeypoints = 2000;

    /// <summary>Longest global descriptor an entry holds.</summary>
    public const int MaxDescriptorLength = 4096;

    private const string Prefix = "r1.";
    private const byte Version = 1;
    private const float PositionScale = 32;

    /// <summary>Wraps the parts (arrays kept, not copied).</summary>
    /// <param name="width">Width of the picture the keypoints were found in, 1..2047.</param>
    /// <param name="height">Height of that picture, 1..2047.</param>
    /// <param name="descriptor">The global descriptor, L2-normalised.</param>
    /// <param name="points">Keypoint positions, x and y interleaved.</param>
    /// <param name="keypointDescriptors">32 bytes per keypoint.</param>
    public RobustFeatures(int width, int height, float[] descriptor, float[] points, byte[] keypointDescriptors)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(keypointDescriptors);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(width, 2047);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(height, 2047);
        if (descriptor.Length is 0 or > MaxDescriptorLength || points.Length % 2 != 0 || points.Length / 2 > MaxKeypoints ||
            keypointDescriptors.Length != points.Length / 2 * KeypointDescriptorBytes)
        {
            throw new ArgumentException("The descriptor must have 1..4096 values and every keypoint a position and a 32-byte descriptor (at most 2000).");
        }

        Width = width;
        Height = height;
        Descriptor = descriptor;
        Points = points;
        KeypointDescriptors = keypointDescriptors;
    }

    /// <summary>Width of the picture at the working scale.</summary>
    public int Width { get; }

    /// <summary>Height of the picture at the working scale.</summary>
    public int Height { get; }

    /// <summary>The L2-normalised global descriptor.</summary>
    public float[] Descriptor { get; }

    /// <summary>Keypoint positions, x and y interleaved.</summary>
    public float[] Points { get; }

    /// <summary>The keypoints' binary descriptors, 32 bytes each.</summary>
    public byte[] KeypointDescriptors { get; }

    /// <summary>Number of keypoints.</summary>
    public int KeypointCount => Points.Length / 2;

    /// <summary>The list value: <c>r1.</c> + base64.</summary>
    public string Encode()
    {
        var count = KeypointCount;
        var bytes = new byte[1 + 6 + (Descriptor.Length * 2) + 2 + (count * 4) + KeypointDescriptors.Length];
        var span = bytes.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteUInt16LittleEndian(span[1..], (ushort)Width);
        BinaryPrimitives.WriteUInt16LittleEndian(span[3..], (ushort)Height);
        BinaryPrimitives.WriteUInt16LittleEndian(span[5..], (ushort)Descriptor.Length);
        var at = 7;
        foreach (var value in Descriptor)
        {
            BinaryPrimitives.WriteHalfLittleEndian(span[at..], (Half)value);
            at += 2;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)count);
        at += 2;
        foreach (var value in Points)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], (ushort)Math.Clamp(MathF.Round(value * PositionScale), 0, ushort.MaxValue));
            at += 2;
        }

        KeypointDescriptors.CopyTo(span[at..]);
        return Prefix + Convert.ToBase64String(bytes);
    }

    /// <summary>Reads a list value written by <see cref="Encode"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, [NotNullWhen(true)] out RobustFeatures? features, [NotNullWhen(false)] out string? problem)
    {
        features = null;
        text = text.Trim();
        if (!text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            problem = $"a robust value starts with '{Prefix}'";
            return false;
        }

        var bytes = new byte[(text.Length - Prefix.Length) / 4 * 3];
        if (!Convert.TryFromBase64Chars(text[Prefix.Length..], bytes, out var written))
        {
            problem = "a robust value is base64 after its prefix";
            return false;
        }

        var span = bytes.AsSpan(0, written);
        if (span.Length < 9 || span[0] != Version)
        {
            problem = "unknown robust value version";
            return false;
        }

        int width = BinaryPrimitives.ReadUInt16LittleEndian(span[1..]);
        int height = BinaryPrimitives.ReadUInt16LittleEndian(span[3..]);
        int dimension = BinaryPrimitives.ReadUInt16LittleEndian(span[5..]);
        var at = 7 + (dimension * 2);
        if (width is < 1 or > 2047 || height is < 1 or > 2047 || dimension is 0 or > MaxDescriptorLength || span.Length < at + 2)
        {
            problem = "robust value: size or descriptor length out of range";
            return false;
        }

        var descriptor = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            descriptor[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(span[(7 + (i * 2))..]);
            if (!float.IsFinite(descriptor[i]))
            {
                problem = "robust value: the descriptor holds a value that is not a number";
                return false;
            }
        }

        int count = BinaryPrimitives.ReadUInt16LittleEndian(span[at..]);
        at += 2;
        if (count > MaxKeypoints || span.Length != at + (count * (4 + KeypointDescriptorBytes)))
        {
            problem = "robust value: the keypoint count does not fit its length";
            return false;
        }

        var points = new float[count * 2];
        for (var i = 0; i < points.Length; i++)
        {
            points[i] = BinaryPrimitives.ReadUInt16LittleEndian(span[(at + (i * 2))..]) / PositionScale;
        }

        at += count * 4;
        features = new RobustFeatures(width, height, descriptor, points, span[at..].ToArray());
        problem = null;
        return true;
    }
}
