using Needle.Hashing;
using Needle.Matching.Expansion;
using Needle.Matching.Lists;

namespace Needle.Cli.Infrastructure;

/// <summary>
/// The second look at a file that matched no hash: decoded once with its aspect ratio kept, it goes through the PDQ
/// query expansion (mirror, frame, rotation) and then, when given, the robust tier; with <c>robustAlways</c> a file
/// that matched a hash is checked by the robust tier too. With <c>sweepAfterRobust</c> (a scan whose every list has
/// robust entries), <c>expander</c> has no rotation sweep and this one runs after the robust tier found nothing: a
/// turned copy of a listed picture is found by the robust tier without the sweep's 40 queries. When
/// <c>robustCoversAll</c> says the robust tier holds a robust entry for every listed picture (asked once it has run),
/// <c>coveredSweep</c> (the same sweep on a <see cref="CoveredSweepSize"/> copy) runs instead. One per thread.
/// </summary>
internal sealed class SecondLook(
    ImageDecoder decoder,
    PdqQueryExpander? expander,
    Func<DecodedImage, CancellationToken, MatchResult>? robust,
    bool robustAlways = false,
    PdqQueryExpander? sweepAfterRobust = null,
    PdqQueryExpander? coveredSweep = null,
    Func<bool>? robustCoversAll = null)
{
    /// <summary>The longer side the second look decodes to.</summary>
    public const int WorkingSize = 512;

    /// <summary>
    /// The longer side of the copy the rotation sweep turns when it runs after a robust tier covering every listed
    /// picture, for a quarter of the pixels of the usual 512: after the tier it finds every turned copy the 512-px sweep
    /// finds in testdata, and by itself 14-18 of 18 per angle (128 px: 4-8), so a large picture the tier cannot match
    /// (few keypoints) still has a fair chance (robust-eval --rotations, docs/benchmarks.md).
    /// </summary>
    public const int CoveredSweepSize = 256;

    /// <summary>What the second look found; null when it found nothing or the file cannot be decoded (the first look already said why).</summary>
    public MatchResult? Match(string fullPath, bool hashMatched, CancellationToken cancellationToken)
    {
        if ((expander is null && robust is null) || (hashMatched && !(robustAlways && robust is not null)))
        {
            return null;
        }

        try
        {
            using var contents = FileContents.Read(fullPath, decoder.Options.MaxFileBytes, cancellationToken);
            using var image = decoder.DecodeForDisplay(contents.Bytes, WorkingSize, fullPath, cancellationToken);
            if (!hashMatched && expander?.Match(image, cancellationToken) is { Status: not MatchStatus.NoMatch } expanded)
            {
                return expanded;
            }

            if (robust?.Invoke(image, cancellationToken) is { Status: not MatchStatus.NoMatch } found)
            {
                return found;
            }

            if (hashMatched || sweepAfterRobust is null)
            {
                return null;
            }

            var sweep = coveredSweep is not null && robustCoversAll?.Invoke() == true ? coveredSweep : sweepAfterRobust;
            return sweep.Match(image, cancellationToken) is { Status: not MatchStatus.NoMatch } turned ? turned : null;
        }
        catch (ImageDecodeException)
        {
            return null;
        }
    }
}
