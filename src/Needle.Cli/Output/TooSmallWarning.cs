using System.Globalization;
using Needle.Hashing;

namespace Needle.Cli.Output;

/// <summary>
/// The warning <c>needle hash</c> writes for an image too small to hash: the reference gives it the all-zero hash with
/// quality 0, which a list can never match (list readers skip it).
/// </summary>
internal static class TooSmallWarning
{
    /// <summary>The warning line for <paramref name="result"/>, or null when its PDQ hash is a real one.</summary>
    public static string? For(MediaHashResult result, string path)
    {
        var pdq = result.Pdq ?? (result.Dihedral is { } dihedral ? new PdqResult(dihedral.Original, dihedral.Quality) : null);
        if (!result.Succeeded || pdq is not { Quality: 0 } found || found.Hash != PdqHash.Zero)
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"warning: {path}: the image is too small to hash ({result.Width}x{result.Height} pixels): all-zero PDQ hash, quality 0; it can never match and list readers skip it");
    }
}
