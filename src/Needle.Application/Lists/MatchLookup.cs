using Needle.Application.Intake;
using Needle.Application.Media;
using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

/// <summary>
/// Matches media or hashes against the lists without storing anything (<c>POST /api/v1/lookup</c>). Media is hashed
/// as reports are: PDQ with its dihedral variants, MD5, SHA-1, SHA-256, and an animation's every frame. Thread-safe.
/// </summary>
public sealed class MatchLookup : IDisposable
{
    private readonly HashListService _matchers;
    private readonly ImageDecoder _decoder;
    private readonly MediaHashOptions _hashOptions;
    private readonly VideoHasher? _videoHasher;
    private readonly VpdqMatchOptions _videoMatch;
    private readonly string? _mediaTempRoot;
    private readonly SemaphoreSlim _videoSlots;

    /// <summary>A lookup over <paramref name="matchers"/>, hashing media as report processing does.</summary>
    /// <param name="matchers">The lists.</param>
    /// <param name="decoder">Image decoding and its limits.</param>
    /// <param name="video">Video hashing and its limits; null: videos are matched by their exact hashes only.</param>
    /// <param name="videoMatch">How videos match vPDQ entries (default: vPDQ's thresholds).</param>
    /// <param name="mediaTempRoot">Where decrypted videos are written for ffmpeg (<see cref="PrivateMediaFiles"/>); null: its default root.</param>
    /// <param name="maxConcurrentVideos">How many videos <see cref="LookupVideoAsync"/> hashes at once; more wait their turn.</param>
    public MatchLookup(HashListService matchers, ImageDecoder decoder, VideoHashOptions? video = null, VpdqMatchOptions? videoMatch = null, string? mediaTempRoot = null, int maxConcurrentVideos = 1)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(decoder);
        _matchers = matchers;
        _decoder = decoder;
        _hashOptions = new MediaHashOptions
        {
            Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5 | HashAlgorithms.Sha1 | HashAlgorithms.Sha256,
            Dihedral = true,
            Decode = decoder.Options,
        };
        _videoHasher = video is null ? null : new VideoHasher(video with { ComputeDigests = true });
        _videoMatch = videoMatch ?? new VpdqMatchOptions();
        _mediaTempRoot = mediaTempRoot;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxConcurrentVideos);
        _videoSlots = new SemaphoreSlim(maxConcurrentVideos, maxConcurrentVideos);
    }

    /// <summary>Whether <paramref name="bytes"/> start like a video container (then use <see cref="LookupVideo"/>).</summary>
    public static bool IsVideo(ReadOnlySpan<byte> bytes) => VideoFiles.LooksLikeVideo(bytes[..Math.Min(bytes.Length, 512)]);

    /// <summary>
    /// Hashes a video (from a private temporary copy, 0600, deleted before returning) and matches its exact hashes and
    /// its vPDQ hash; a video that cannot be hashed is still matched by its exact hashes, with the reason.
    /// </summary>
    public VideoLookupResult LookupVideo(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        VideoHash? video = null;
        string? error = null;
        if (_videoHasher is null)
        {
            error = "video hashing is turned off on this server";
        }
        else
        {
            var path = PrivateMediaFiles.Write(bytes.Span, _mediaTempRoot);
            try
            {
                video = _videoHasher.Hash(path, ct);
            }
            catch (VideoHashException e)
            {
                error = "video: " + e.Message;
            }
            finally
            {
                File.Delete(path);
            }
        }

        var digests = video?.Digests ?? FileDigests.Compute(bytes.Span);
        var exact = _matchers.Match(new FileSignals { Md5 = digests.Md5, Sha1 = digests.Sha1, Sha256 = digests.Sha256 });
        return new VideoLookupResult(video, error, digests, exact, video is null ? [] : _matchers.MatchVideo(video, _videoMatch));
    }

    /// <summary>
    /// As <see cref="LookupVideo"/>, with at most the constructor's <c>maxConcurrentVideos</c> videos hashed at once: a
    /// video costs ffmpeg's whole decode, so synchronous lookups must not take every core from report processing.
    /// </summary>
    public async Task<VideoLookupResult> LookupVideoAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        await _videoSlots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return LookupVideo(bytes, ct);
        }
        finally
        {
            _videoSlots.Release();
        }
    }

    /// <summary>Releases the video slots.</summary>
    public void Dispose() => _videoSlots.Dispose();

    /// <summary>Matches a vPDQ hash computed elsewhere (Meta's text format: <c>frame,quality,hash,timestamp</c> lines, or joined by ';').</summary>
    /// <exception cref="ReportValidationException">The text is not a valid vPDQ hash.</exception>
    public IReadOnlyList<VideoListMatch> LookupVpdq(string vpdq)
    {
        ArgumentNullException.ThrowIfNull(vpdq);
        if (!SignalTypes.Vpdq.TryNormalize(vpdq, out var normalized, out var error))
        {
            throw new ReportValidationException([$"vpdq: {error}"]);
        }

        var frames = VideoListIndex.ParseFrames(normalized);
        return _matchers.MatchVideo(new VideoHash { Frames = frames }, _videoMatch);
    }

    /// <summary>Hashes and matches media; an undecodable file is still matched by its exact hashes.</summary>
    public MatchResult LookupMedia(ReadOnlyMemory<byte> bytes, string name, CancellationToken ct = default) =>
        LookupMediaWithHashes(bytes, name, ct).Match;

    /// <summary>Like <see cref="LookupMedia"/>, also returning the hashes used (and the decode error, if any).</summary>
    public MediaLookupResult LookupMediaWithHashes(ReadOnlyMemory<byte> bytes, string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);

        // A hasher per call: it is not thread-safe, and lookups run concurrently.
        var hashed = new MediaFileHasher(_hashOptions, _decoder).HashBytes(bytes, name, ct);
        var match = _matchers.Match(Signals.FromHashes(hashed, null));

        // An animation's every frame is matched, as report processing does (each match names its frame).
        if (hashed.Animation is { } animation)
        {
            match = AnimationMatches.MatchFrames(_matchers.Match, animation, _videoMatch.MinQuality, match);
        }

        return new MediaLookupResult(hashed, match);
    }

    /// <summary>Matches hashes computed elsewhere.</summary>
    /// <exception cref="ReportValidationException">A hash is malformed, or none is given.</exception>
    public MatchResult LookupHashes(ReporterHashes hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var errors = new List<string>();
        ReportIntake.CheckHashes(errors, "hashes", hashes);
        if (ReportIntake.IsEmpty(hashes))
        {
            errors.Add("give at least one hash");
        }

        if (errors.Count > 0)
        {
            throw new ReportValidationException(errors);
        }

        return _matchers.Match(Signals.FromReporterHashes(hashes)!);
    }
}
