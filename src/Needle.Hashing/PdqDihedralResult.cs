namespace Needle.Hashing;

/// <summary>The eight dihedral PDQ hashes of one image, all derived from one DCT, and the shared quality.</summary>
public sealed class PdqDihedralResult
{
    private readonly PdqHash[] _hashes;

    /// <summary>Wraps the eight hashes of one image.</summary>
    /// <param name="hashes">Exactly eight hashes in <see cref="DihedralTransform"/> order; the array is kept, not copied.</param>
    /// <param name="quality">PDQ quality 0-100 shared by the eight.</param>
    public PdqDihedralResult(PdqHash[] hashes, int quality)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Length != DihedralTransformNames.Count)
        {
            throw new ArgumentException("Exactly 8 dihedral hashes are needed.", nameof(hashes));
        }

        _hashes = hashes;
        Quality = quality;
    }

    /// <summary>Quality (0..100), the same for all eight.</summary>
    public int Quality { get; }

    /// <summary>The hash of the image after <paramref name="transform"/>.</summary>
    public PdqHash this[DihedralTransform transform] => _hashes[(int)transform];

    /// <summary>The eight hashes in <see cref="DihedralTransform"/> order.</summary>
    public ReadOnlySpan<PdqHash> Hashes => _hashes;

    /// <summary>The hash of the image as stored.</summary>
    public PdqHash Original => _hashes[0];
}
