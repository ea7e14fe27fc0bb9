using Needle.Application.Lists;
using Needle.Core.Reports;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Http;
using Needle.Video;

namespace Needle.Server.Endpoints;

internal sealed record LookupHashes(string? Pdq, int? PdqQuality, string? Md5, string? Sha1, string? Sha256);

/// <summary>What was hashed of a looked-up video.</summary>
internal sealed record LookupVideo(double Duration, double FrameRate, int Width, int Height, int HashedFrames, string Vpdq);

internal sealed record LookupResult(
    string? Name,
    MatchStatus Status,
    LookupHashes? Hashes,
    string? Error,
    IReadOnlyList<MatchResponse> Matches,
    IReadOnlyList<MatchResponse> AllowedBy)
{
    /// <summary>For a video: what was hashed (null otherwise).</summary>
    public LookupVideo? Video { get; init; }
}

/// <summary>Hashes to look up: those of a report file, plus a vPDQ hash (Meta's text format, lines or ';'-joined).</summary>
internal sealed record LookupRequest(string? Md5, string? Sha1, string? Sha256, string? Pdq, string? PhotoDna, string? Vpdq);

internal sealed record LookupResponse(IReadOnlyList<LookupResult> Results);

/// <summary><c>POST /api/v1/lookup</c> (submitter): match media or hashes against the lists; nothing is stored.</summary>
internal static class LookupEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/lookup", LookupAsync)
            .RequireAuthorization(Policies.Submitter)
            .WithTags("Lookup")
            .Accepts<LookupRequest>("application/json", "multipart/form-data")
            .Produces<LookupResponse>()
            .WithSummary("Match media (multipart, one result per file; videos by vPDQ with time ranges) or hashes (JSON {md5, sha1, sha256, pdq, photoDna, vpdq}) against the lists; nothing is stored.");
    }

    /// <summary>A 413 for a video too large to hash within a request, else null.</summary>
    internal static IResult? VideoTooLarge(long bytes, NeedleServerOptions options) =>
        bytes <= options.MaxVideoLookupBytes
            ? null
            : Problems.TooLarge(string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"A video over {options.MaxVideoLookupBytes / (1024.0 * 1024):0.#} MiB is not hashed within a request: submit it as a report (POST /api/v1/reports), which a worker hashes."));

    private static async Task<IResult> LookupAsync(HttpContext context, MatchLookup lookup, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (JsonBody.IsMultipart(context.Request))
        {
            var upload = await MultipartUpload.ReadAsync(context.Request, ReportEndpoints.Limits(options), cancellationToken).ConfigureAwait(false);
            if (upload.Files.Count == 0)
            {
                return Problems.BadRequest("Send at least one file part.");
            }

            var results = new List<LookupResult>(upload.Files.Count);
            foreach (var file in upload.Files)
            {
                if (MatchLookup.IsVideo(file.Bytes))
                {
                    if (VideoTooLarge(file.Bytes.Length, options) is { } tooLarge)
                    {
                        return tooLarge;
                    }

                    results.Add(VideoResult(file.FileName ?? file.PartName, await lookup.LookupVideoAsync(file.Bytes, cancellationToken).ConfigureAwait(false)));
                    continue;
                }

                var found = lookup.LookupMediaWithHashes(file.Bytes, file.FileName ?? file.PartName, cancellationToken);
                var h = found.Hashes;
                results.Add(Result(file.FileName ?? file.PartName, found.Match,
                    new LookupHashes(h.Pdq?.Hash.ToString(), h.Pdq?.Quality, h.Md5, h.Sha1, h.Sha256), ErrorText.ForClient(h.Error)));
            }

            return TypedResults.Ok(new LookupResponse(results));
        }

        var request = await JsonBody.ReadAsync<LookupRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var hashes = new ReporterHashes { Md5 = request.Md5, Sha1 = request.Sha1, Sha256 = request.Sha256, Pdq = request.Pdq, PhotoDna = request.PhotoDna };
        if (request.Vpdq is null)
        {
            return TypedResults.Ok(new LookupResponse([Result(null, lookup.LookupHashes(hashes), null, null)]));
        }

        var videoMatches = lookup.LookupVpdq(request.Vpdq);
        var exact = hashes is { Md5: null, Sha1: null, Sha256: null, Pdq: null, PhotoDna: null } ? null : lookup.LookupHashes(hashes);
        return TypedResults.Ok(new LookupResponse([Combine(null, exact, videoMatches, null, null)]));
    }

    private static LookupResult VideoResult(string name, VideoLookupResult found)
    {
        var d = found.Digests;
        var result = Combine(name, found.Exact, found.VideoMatches, d is null ? null : new LookupHashes(null, null, d.Md5, d.Sha1, d.Sha256), ErrorText.ForClient(found.Error));
        if (found.Video is not { } video)
        {
            return result;
        }

        var vpdq = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        VpdqFormat.Write(vpdq, video.Frames);
        return result with { Video = new LookupVideo(video.Duration, video.FrameRate, video.Width, video.Height, video.Frames.Count, vpdq.ToString()) };
    }

    /// <summary>Exact-hash matches and vPDQ matches in one result: a known-list video match makes it a match unless an allow list hit too.</summary>
    private static LookupResult Combine(string? name, MatchResult? exact, IReadOnlyList<VideoListMatch> videoMatches, LookupHashes? hashes, string? error)
    {
        var stored = Needle.Application.Lists.VideoMatches.ToStored(videoMatches).Select(MatchResponse.From).ToList();
        List<MatchResponse> matches = [.. exact?.Matches.Select(From) ?? [], .. stored.Where(m => !m.AllowList)];
        List<MatchResponse> allowedBy = [.. exact?.AllowedBy.Select(From) ?? [], .. stored.Where(m => m.AllowList)];
        var status = allowedBy.Count > 0 ? MatchStatus.Allowed : matches.Count > 0 ? MatchStatus.Match : MatchStatus.NoMatch;
        return new LookupResult(name, status, hashes, error, status == MatchStatus.Allowed ? [] : matches, allowedBy);
    }

    private static LookupResult Result(string? name, MatchResult match, LookupHashes? hashes, string? error) =>
        new(name, match.Status, hashes, error, [.. match.Matches.Select(From)], [.. match.AllowedBy.Select(From)]);

    internal static MatchResponse From(ListMatch m) => new(
        m.ListName, m.Entry.Id, m.Entry.Label, m.Entry.Category, m.SignalType.Name, m.MatchedValue, m.Distance, m.TransformName,
        m.ListKind == HashListKind.Allow, null)
    {
        Frame = m.Frame,
    };
}
