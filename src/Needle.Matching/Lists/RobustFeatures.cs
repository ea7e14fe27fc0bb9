using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Needle.Matching.Lists;

/// <summary>
/// A picture's robust entry: its size at the working scale, an L2-normalised global descriptor, and local keypoints
/// (positions and 32-byte binary descriptors). Stored in lists as <c>r1.</c> + base64 of a compact little-endian
/// layout: version, width, height, descriptor length, the descriptor as half floats, keypoint count, positions in
/// 1/32 px, then the keypoint descriptors. Descriptors of different models are not comparable, so an entry names its
/// model (<see cref="ModelId"/>): an entry of the default model keeps the <c>r1.</c> value (lists users have keep
/// reading, byte for byte); another model's is <c>r2.</c>, the same layout with the model's 32-byte identity after the
/// version byte.
/// </summary>
public sealed class RobustFeatures
{
    /// <summary>Bytes in one keypoint descriptor (ORB's 256 bits).</summary>
    public const int KeypointDescriptorBytes = 32;

    /// <summary>Most keypoints an entry holds.</summary>
    public const int MaxKeypoints = 2000;

    /// <summary>Longest global descriptor an entry holds.</summary>
    public const int MaxDescriptorLength = 4096;

    /// <summary>
    /// The identity of the default model (the ImageNet ResNet18 with its preprocessing model, as shipped): what every
    /// <c>r1.</c> value and every stored row without a model was made with. See <c>ImageDescriptorModel.ModelId</c>.
    /// </summary>
    public const string DefaultModelId = "1519ca20fb7fc0169d94f935bc2d411652ae9f191acb16f87454310a250bb85e";

    private const string Prefix = "r1.";
    private const string ModelPrefix = "r2.";
    private const byte Version = 1;
    private const byte ModelVersion = 2;
    private const int ModelIdBytes = 32;
    private const float PositionScale = 32;

    /// <summary>Wraps the parts (arrays kept, not copied).</summary>
    /// <param name="width">Width of the picture the keypoints were found in, 1..2047.</param>
    /// <param name="height">Height of that picture, 1..2047.</param>
    /// <param name="descriptor">The global descriptor, L2-normalised.</param>
    /// <param name="points">Keypoint positions, x and y interleaved.</param>
    /// <param name="keypointDescriptors">32 bytes per keypoint.</param>
    /// <param name="modelId">The model that made the descriptor (64 lowercase hex digits); null for <see cref="DefaultModelId"/>.</param>
    public RobustFeatures(int width, int height, float[] descriptor, float[] points, byte[] keypointDescriptors, string? modelId = null)
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

        if (modelId is not null && !IsModelId(modelId))
        {
            throw new ArgumentException("A model identity is 64 lowercase hex digits (a SHA-256).", nameof(modelId));
        }

        ModelId = modelId ?? DefaultModelId;
        Width = width;
        Height = height;
        Descriptor = descriptor;
        Points = points;
        KeypointDescriptors = keypointDescriptors;
    }

    /// <summary>The identity of the model that made the descriptor: only entries of the same model are compared.</summary>
    public string ModelId { get; }

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

    /// <summary>Whether <paramref name="text"/> is a model identity: 64 lowercase hex digits.</summary>
    public static bool IsModelId(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length != ModelIdBytes * 2)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The list value: <c>r1.</c> + base64 for the default model, <c>r2.</c> + base64 (naming the model) for another.</summary>
    public string Encode()
    {
        var count = KeypointCount;
        var named = !string.Equals(ModelId, DefaultModelId, StringComparison.Ordinal);
        var head = named ? 1 + ModelIdBytes : 1;
        var bytes = new byte[head + 6 + (Descriptor.Length * 2) + 2 + (count * 4) + KeypointDescriptors.Length];
        var whole = bytes.AsSpan();
        whole[0] = named ? ModelVersion : Version;
        if (named)
        {
            Convert.FromHexString(ModelId).CopyTo(whole[1..]);
        }

        // The rest is laid out as in an r1. value, from just before the size (offsets below count from there).
        var span = whole[(head - 1)..];
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
        return (named ? ModelPrefix : Prefix) + Convert.ToBase64String(bytes);
    }

    /// <summary>Reads a list value written by <see cref="Encode"/>.</summary>
    public static bool TryDecode(ReadOnlySpan<char> text, [NotNullWhen(true)] out RobustFeatures? features, [NotNullWhen(false)] out string? problem)
    {
        features = null;
        text = text.Trim();
        var named = text.StartsWith(ModelPrefix, StringComparison.Ordinal);
        if (!named && !text.StartsWith(Prefix, StringComparison.Ordinal))
        {
            problem = $"a robust value starts with '{Prefix}' or '{ModelPrefix}'";
            return false;
        }

        var bytes = new byte[(text.Length - Prefix.Length) / 4 * 3];
        if (!Convert.TryFromBase64Chars(text[Prefix.Length..], bytes, out var written))
        {
            problem = "a robust value is base64 after its prefix";
            return false;
        }

        var span = bytes.AsSpan(0, written);
        var head = named ? 1 + ModelIdBytes : 1;
        if (span.Length < head + 8 || span[0] != (named ? ModelVersion : Version))
        {
            problem = "unknown robust value version";
            return false;
        }

        string? modelId = named ? Convert.ToHexStringLower(span[1..head]) : null;

        // The rest is laid out as in an r1. value, from just before the size (offsets below count from there).
        span = span[(head - 1)..];

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
        features = new RobustFeatures(width, height, descriptor, points, span[at..].ToArray(), modelId);
        problem = null;
        return true;
    }
}
