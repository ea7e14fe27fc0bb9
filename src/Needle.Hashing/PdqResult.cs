namespace Needle.Hashing;

/// <summary>A PDQ hash and its quality (0..100). Meta's guidance discards hashes with quality under 50.</summary>
/// <param name="Hash">The 256-bit hash.</param>
/// <param name="Quality">PDQ quality 0-100: how much gradient the image has; flat images score low.</param>
public readonly record struct PdqResult(PdqHash Hash, int Quality)
{
    /// <summary>Quality under which Meta's guidance says a hash is too weak to match on.</summary>
    public const int MinimumUsefulQuality = 50;

    /// <summary>Whether the quality reaches <see cref="MinimumUsefulQuality"/>.</summary>
    public bool IsUseful => Quality >= MinimumUsefulQuality;
}
