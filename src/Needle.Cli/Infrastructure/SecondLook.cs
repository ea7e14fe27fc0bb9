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
/// <c>robustCoversAll</c> says the robust tier holds a robust entry for every listed picture (asked once it has run), the
/// sweep runs only for a file whose most similar listed picture (by descriptor) reaches <see cref="SweepGate"/>: a close
/// copy whose geometric check failed, not an unrelated file. One per thread.
/// </summary>
internal sealed class SecondLook(
    ImageDecoder decoder,
    PdqQueryExpander? expander,
    Func<DecodedImage, CancellationToken, (MatchResult Result, double NearestSimilarity)>? robust,
    bool robustAlways = false,
    PdqQueryExpander? sweepAfterRobust = null,
    Func<bool>? robustCoversAll = null)
{
    /// <summary>The longer side the second look decodes to.</summary>
    public const int WorkingSize = 512;

    /// <summary>
    /// Against lists whose every picture has a robust entry, the sweep runs after the robust tier only when the file's
    /// most similar listed picture is at least this similar (cosine of the descriptors): the turned copies the tier
    /// missed were all above it and the unrelated files below (robust-eval --rotations, docs/benchmarks.md).
    /// </summary>
    public const double SweepGate = 0.9;

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

            var nearest = 1.0;
            if (robust is not null)
            {
                (var found, nearest) = robust(image, cancellationToken);
                if (found.Status != MatchStatus.NoMatch)
                {
                    return found;
                }
            }

            if (hashMatched || sweepAfterRobust is null || (nearest < SweepGate && robustCoversAll?.Invoke() == true))
            {
                return null;
            }

            return sweepAfterRobust.Match(image, cancellationToken) is { Status: not MatchStatus.NoMatch } turned ? turned : null;
        }
        catch (ImageDecodeException)
        {
            return null;
        }
    }
}
