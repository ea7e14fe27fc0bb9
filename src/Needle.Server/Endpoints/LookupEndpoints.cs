using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Http;
using Needle.Triage;

namespace Needle.Server.Endpoints;

internal sealed record LookupHashes(string? Pdq, int? PdqQuality, string? Md5, string? Sha1, string? Sha256);

internal sealed record LookupResult(
    string? Name,
    MatchStatus Status,
    LookupHashes? Hashes,
    string? Error,
    IReadOnlyList<MatchResponse> Matches,
    IReadOnlyList<MatchResponse> AllowedBy);

internal sealed record LookupResponse(IReadOnlyList<LookupResult> Results);

/// <summary><c>POST /api/v1/lookup</c> (submitter): match media or hashes against the lists; nothing is stored.</summary>
internal static class LookupEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/lookup", LookupAsync)
            .RequireAuthorization(Policies.Submitter)
            .WithTags("Lookup")
            .Accepts<ReporterHashes>("application/json", "multipart/form-data")
            .Produces<LookupResponse>()
            .WithSummary("Match media (multipart, one result per file) or hashes (JSON {md5, sha1, sha256, pdq, photoDna}) against the lists; nothing is stored.");
    }

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
                var found = lookup.LookupMediaWithHashes(file.Bytes, file.FileName ?? file.PartName, cancellationToken);
                var h = found.Hashes;
                results.Add(Result(file.FileName ?? file.PartName, found.Match,
                    new LookupHashes(h.Pdq?.Hash.ToString(), h.Pdq?.Quality, h.Md5, h.Sha1, h.Sha256), h.Error));
            }

            return TypedResults.Ok(new LookupResponse(results));
        }

        var hashes = await JsonBody.ReadAsync<ReporterHashes>(context, options.MaxJsonBytes).ConfigureAwait(false);
        return TypedResults.Ok(new LookupResponse([Result(null, lookup.LookupHashes(hashes), null, null)]));
    }

    private static LookupResult Result(string? name, MatchResult match, LookupHashes? hashes, string? error) =>
        new(name, match.Status, hashes, error, [.. match.Matches.Select(From)], [.. match.AllowedBy.Select(From)]);

    internal static MatchResponse From(ListMatch m) => new(
        m.ListName, m.Entry.Id, m.Entry.Label, m.Entry.Category, m.SignalType.Name, m.MatchedValue, m.Distance, m.Transform.ToName(),
        m.ListKind == HashListKind.Allow);
}
