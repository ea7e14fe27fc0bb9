using Needle.Hashing;
using Needle.Hashing.Pdq;
using Needle.Hashing.Transforms;
using Needle.Matching.Lists;

namespace Needle.Matching.Expansion;

/// <summary>
/// Matches the edited copies of listed pictures that PDQ alone misses, with only the PDQ hashes every shared list
/// carries: the query is changed instead of the list. For a file that matched nothing as it was, it tries in turn the
/// mirrored picture, the inside of a frame (unletterbox), then a rotation sweep (turn back by 1..N degrees each way and
/// cut the corners or the fill away), and reports the first stage that matches, each match naming the edit.
/// One instance per thread: it owns a <see cref="PdqHasher"/> with reusable buffers.
/// </summary>
public sealed class PdqQueryExpander
{
    /// <summary>The <see cref="ListMatch.Variant"/> of a match found inside a frame.</summary>
    public const string UnletterboxVariant = "unletterbox";

    private readonly ListMatcher _matcher;
    private readonly PdqQueryExpansionOptions _options;
    private readonly PdqHasher _hasher = new();

    /// <summary>An expander matching through <paramref name="matcher"/> (its thresholds and quality filter apply).</summary>
    public PdqQueryExpander(ListMatcher matcher, PdqQueryExpansionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(matcher);
        _matcher = matcher;
        _options = options ?? new PdqQueryExpansionOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxRotationDegrees);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(_options.MaxRotationDegrees, 45);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.RotationWorkingSize, 16);
    }

    /// <summary>The name of the variant for a file turned <paramref name="degrees"/> anticlockwise (negative: clockwise).</summary>
    public static string RotationVariant(int degrees) => "rotate" + degrees.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Tries the edits on <paramref name="image"/> (decoded with its aspect ratio kept, as
    /// <see cref="ImageDecoder.DecodeForDisplay"/> gives it) and returns the first stage's result that matched or was
    /// allowed, its matches carrying the variant; a result with <see cref="MatchStatus.NoMatch"/> when none did.
    /// </summary>
    public MatchResult Match(DecodedImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width < PdqHasher.MinimumDimension || image.Height < PdqHasher.MinimumDimension)
        {
            return MatchResult.NoMatch;
        }

        if (_options.Mirror)
        {
            using var mirrored = ImageTransforms.MirrorLeftRight(image);
            var pdq = _hasher.Hash(mirrored);
            var result = _matcher.Match(new FileSignals { Pdq = pdq.Hash, PdqQuality = pdq.Quality });
            if (result.Status != MatchStatus.NoMatch)
            {
                return Relabel(result, null, DihedralTransform.FlipY, int.MaxValue);
            }
        }

        if (_options.Unletterbox)
        {
            foreach (var rect in BorderDetector.FindContent(image))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var result = MatchDihedral(image, rect);
                if (result.Status != MatchStatus.NoMatch)
                {
                    return Relabel(result, UnletterboxVariant, null, int.MaxValue);
                }
            }
        }

        return _options.MaxRotationDegrees > 0 ? RotationSweep(image, cancellationToken) : MatchResult.NoMatch;
    }

    private MatchResult RotationSweep(DecodedImage image, CancellationToken cancellationToken)
    {
        var work = ImageTransforms.FitWithin(image, _options.RotationWorkingSize);
        try
        {
            var fill = CornerLevel(work);
            MatchResult? best = null;
            var bestDistance = double.MaxValue;
            var bestDegrees = 0;
            for (var step = 1; step <= 2 * _options.MaxRotationDegrees; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var degrees = (step + 1) / 2 * (step % 2 == 1 ? 1 : -1);
                using var turnedBack = ImageTransforms.Rotate(work, -degrees, fill);

                // A copy turned on a larger canvas comes back as the picture inside a fill; one turned and cropped to
                // its old size comes back with its corners missing, so only the inscribed rectangle is kept.
                var frames = BorderDetector.FindContent(turnedBack);
                var inscribed = ImageTransforms.InscribedAfterRotation(work.Width, work.Height, degrees);
                for (var candidate = 0; candidate < 2; candidate++)
                {
                    var rect = candidate == 0 ? (frames.Count > 0 ? frames[0] : (PixelRect?)null) : inscribed;

                    // The outermost pixels mix picture and fill after two resamplings: leave them out.
                    if (rect is not { } found || Inset(found) is not { } r || r.Width < PdqHasher.MinimumDimension || r.Height < PdqHasher.MinimumDimension)
                    {
                        continue;
                    }

                    using var cropped = ImageTransforms.Crop(turnedBack, r);
                    var pdq = _hasher.Hash(cropped);
                    var result = _matcher.Match(new FileSignals { Pdq = pdq.Hash, PdqQuality = pdq.Quality });
                    var distance = BestDistance(result);
                    if (distance <= _options.RotationMaxDistance && distance < bestDistance)
                    {
                        best = result;
                        bestDistance = distance;
                        bestDegrees = degrees;
                    }
                }
            }

            return best is null ? MatchResult.NoMatch : Relabel(best, RotationVariant(bestDegrees), null, _options.RotationMaxDistance);
        }
        finally
        {
            if (!ReferenceEquals(work, image))
            {
                work.Dispose();
            }
        }
    }

    private static PixelRect? Inset(PixelRect rect)
    {
        var by = Math.Max(1, Math.Min(rect.Width, rect.Height) / 100);
        return rect.Width > 4 * by && rect.Height > 4 * by ? new PixelRect(rect.X + by, rect.Y + by, rect.Width - (2 * by), rect.Height - (2 * by)) : null;
    }

    private MatchResult MatchDihedral(DecodedImage image, PixelRect rect)
    {
        using var cropped = ImageTransforms.Crop(image, rect);
        var dihedral = _hasher.HashDihedral(cropped);
        return _matcher.Match(new FileSignals { PdqDihedral = dihedral.Hashes.ToArray(), PdqQuality = dihedral.Quality });
    }

    private static double BestDistance(MatchResult result) => result.Status switch
    {
        MatchStatus.Match => result.Matches[0].Distance,
        MatchStatus.Allowed => result.AllowedBy[0].Distance,
        _ => double.MaxValue,
    };

    private static byte CornerLevel(DecodedImage image)
    {
        var pixels = image.Pixels;
        var channels = (int)image.Layout;
        var sum = 0;
        foreach (var (x, y) in (ReadOnlySpan<(int, int)>)[(0, 0), (image.Width - 1, 0), (0, image.Height - 1), (image.Width - 1, image.Height - 1)])
        {
            sum += pixels[((y * image.Width) + x) * channels];
        }

        return (byte)(sum / 4);
    }

    private static MatchResult Relabel(MatchResult result, string? variant, DihedralTransform? transform, double maxDistance)
    {
        return new MatchResult(result.Status, Tag(result.Matches), Tag(result.AllowedBy), Tag(result.SuppressedMatches));

        List<ListMatch> Tag(IReadOnlyList<ListMatch> matches)
        {
            var tagged = new List<ListMatch>(matches.Count);
            foreach (var match in matches)
            {
                if (match.Distance <= maxDistance)
                {
                    tagged.Add(match with { Variant = variant ?? match.Variant, Transform = transform ?? match.Transform });
                }
            }

            return tagged;
        }
    }
}
