using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

internal sealed record HmaBank(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("matching_enabled_ratio")] double MatchingEnabledRatio);

internal sealed record HmaBankCreate(
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("enabled_ratio")] double? EnabledRatio,
    [property: JsonPropertyName("enabled")] bool? Enabled);

internal sealed record HmaMatch(
    [property: JsonPropertyName("bank_content_id")] int BankContentId,
    [property: JsonPropertyName("distance")] string Distance);

/// <summary>A vPDQ match in HMA's shape, with python-threatexchange's two shares and Needle's time ranges.</summary>
internal sealed record HmaVideoMatch(
    [property: JsonPropertyName("bank_content_id")] int BankContentId,
    [property: JsonPropertyName("distance")] string Distance,
    [property: JsonPropertyName("query_match_percent")] double QueryMatchPercent,
    [property: JsonPropertyName("compared_match_percent")] double ComparedMatchPercent,
    [property: JsonPropertyName("segments")] IReadOnlyList<HmaSegment> Segments);

/// <summary>Seconds of the query that correspond to seconds of the bank's video.</summary>
internal sealed record HmaSegment(
    [property: JsonPropertyName("query_start")] double QueryStart,
    [property: JsonPropertyName("query_end")] double QueryEnd,
    [property: JsonPropertyName("bank_start")] double BankStart,
    [property: JsonPropertyName("bank_end")] double BankEnd);

internal sealed record HmaAdded(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("signals")] IReadOnlyDictionary<string, string> Signals);

internal sealed record HmaContent(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("disable_until_ts")] long DisableUntilTs,
    [property: JsonPropertyName("bank")] HmaBank Bank,
    [property: JsonPropertyName("signals")] IReadOnlyDictionary<string, string> Signals);

/// <summary>
/// Routes shaped like Meta's Hasher-Matcher-Actioner (OpenMediaMatch) API, so HMA clients can talk to Needle:
/// hashing (<c>/h</c>, submitter), matching (<c>/m</c>, submitter) and curation (<c>/c</c>, admin). A bank is a Needle
/// list and a bank content id is a list entry id. Differences: URL fetching (<c>?url=</c>) is refused (Needle makes no
/// outbound requests: POST the media instead); a bank is always fully enabled (ratio 1.0, no coin flip); an existing
/// bank name answers 409; every route needs an API key.
/// </summary>
internal static class HmaEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var hashing = app.MapGroup("/h").RequireAuthorization(Policies.Submitter).WithTags("HMA hashing");
        hashing.MapGet("/hash", () => NoUrls()).WithSummary("Not supported: Needle fetches no URLs. POST the media to /h/hash.");
        hashing.MapPost("/hash", HashAsync).WithSummary("Hash one uploaded file (multipart, field 'photo'): {pdq, md5}.");

        var matching = app.MapGroup("/m").RequireAuthorization(Policies.Submitter).WithTags("HMA matching");
        matching.MapGet("/lookup", LookupSignal).WithSummary("Look up ?signal_type=&signal= (&banks=a,b): {bank: [{bank_content_id, distance}]}.");
        matching.MapPost("/lookup", LookupMediaAsync).WithSummary("Look up one uploaded file: {signal_type: {bank: [{bank_content_id, distance}]}}.");
        matching.MapGet("/raw_lookup", RawLookup).WithSummary("Raw lookup ?signal_type=&signal= (&banks=, &include_distance=true): {matches: [...]}.");

        var curation = app.MapGroup("/c").RequireAuthorization(Policies.Admin).WithTags("HMA curation");
        curation.MapGet("/banks", (HashListService host) => TypedResults.Ok(host.Lists.Select(Bank).ToList())).WithSummary("The banks (lists).");
        curation.MapPost("/banks", CreateBankAsync).WithSummary("Create a bank: {name}.");
        curation.MapGet("/bank/{name}", (string name, HashListService host) => host.FindList(name) is { } list ? Results.Ok(Bank(list)) : NoBank(name))
            .WithSummary("One bank.");
        curation.MapDelete("/bank/{name}", async (string name, HttpContext context, HashListService host, CancellationToken ct) =>
                await host.DeleteListAsync(name, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false) ? Results.Ok(new { message = "Done" }) : NoBank(name))
            .WithSummary("Delete a bank.");
        curation.MapPost("/bank/{name}/content", AddContentAsync).WithSummary("Add uploaded media (multipart) to a bank: {id, signals}.");
        curation.MapGet("/bank/{name}/content/{id:int}", GetContent).WithSummary("One bank content item.");
        curation.MapDelete("/bank/{name}/content/{id:int}", async (string name, int id, HttpContext context, HashListService host, CancellationToken ct) =>
            {
                if (host.FindList(name) is null)
                {
                    return NoBank(name);
                }

                var deleted = await host.RemoveEntryAsync(name, id, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false);
                return Results.Ok(new { deleted = deleted ? 1 : 0 });
            })
            .WithSummary("Remove a bank content item.");
        curation.MapPost("/bank/{name}/signal", AddSignalsAsync).WithSummary("Add hashes to a bank: {\"pdq\": \"...\", \"md5\": \"...\"}.");
    }

    private static IResult NoUrls() => Problems.BadRequest("Fetching media by URL is not supported: this server makes no outbound requests. POST the media as multipart/form-data.");

    private static IResult NoBank(string name) => Problems.NotFound($"bank '{Problems.Echo(name)}' not found");

    private static HmaBank Bank(HashList list) => new(list.Name, 1.0);

    private static async Task<IResult> HashAsync(HttpContext context, ImageDecoder decoder, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var (file, problem) = await ReadOneFileAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var hashed = Hash(file!, decoder, cancellationToken);
        if (hashed.Pdq is null)
        {
            return Problems.BadRequest($"The file could not be hashed: {ErrorText.ForClient(hashed.Error)}");
        }

        return Results.Ok(Signals(hashed));
    }

    private static IResult LookupSignal(string? signal_type, string? signal, string? banks, string? url, HashListService host, MatchLookup lookup)
    {
        if (url is not null)
        {
            return NoUrls();
        }

        if (string.Equals(signal_type, "vpdq", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(signal))
        {
            try
            {
                return Results.Ok(VideoByBank(lookup.LookupVpdq(signal), BankFilter(banks)));
            }
            catch (ReportValidationException ex)
            {
                return Problems.BadRequest(ex.Message);
            }
        }

        var parsed = Parse(signal_type, signal);
        return parsed.Problem ?? Results.Ok(ByBank(host.Match(parsed.Signals!), BankFilter(banks)));
    }

    private static async Task<IResult> LookupMediaAsync(HttpContext context, HashListService host, ImageDecoder decoder, MatchLookup lookup, NeedleServerOptions options, string? banks, CancellationToken cancellationToken)
    {
        var (file, problem) = await ReadOneFileAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        if (MatchLookup.IsVideo(file!.Bytes))
        {
            // A video: MD5 as HMA does, plus vPDQ (HMA's video signal) with the matched time ranges.
            if (LookupEndpoints.VideoTooLarge(file.Bytes.Length, options) is { } tooLarge)
            {
                return tooLarge;
            }

            var video = await lookup.LookupVideoAsync(file.Bytes, cancellationToken).ConfigureAwait(false);
            var videoResponse = new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["md5"] = ByBank(video.Exact, BankFilter(banks)),
                ["vpdq"] = VideoByBank(video.VideoMatches, BankFilter(banks)),
            };
            return Results.Ok(videoResponse);
        }

        var hashed = Hash(file!, decoder, cancellationToken);
        var filter = BankFilter(banks);
        var response = new Dictionary<string, Dictionary<string, List<HmaMatch>>>(StringComparer.Ordinal);
        if (hashed.Pdq is { } pdq)
        {
            response["pdq"] = ByBank(host.Match(new FileSignals { Pdq = pdq.Hash, PdqQuality = pdq.Quality }), filter);
        }

        response["md5"] = ByBank(host.Match(new FileSignals { Md5 = hashed.Md5 }), filter);
        return Results.Ok(response);
    }

    private static IResult RawLookup(string? signal_type, string? signal, string? banks, bool? include_distance, HashListService host)
    {
        var parsed = Parse(signal_type, signal);
        if (parsed.Problem is not null)
        {
            return parsed.Problem;
        }

        var matches = AllHits(host.Match(parsed.Signals!), BankFilter(banks)).ToList();
        return include_distance == true
            ? Results.Ok(new { matches = matches.Select(m => new HmaMatch(m.Entry.Id, Distance(m))).ToList() })
            : Results.Ok(new { matches = matches.Select(m => m.Entry.Id).ToList() });
    }

    private static async Task<IResult> CreateBankAsync(HttpContext context, HashListService host, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<HmaBankCreate>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return Problems.BadRequest("name is required");
        }

        try
        {
            var list = await host.CreateListAsync(request.Name, HashListKind.Known, null, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
            return TypedResults.Created($"/c/bank/{Uri.EscapeDataString(list.Name)}", Bank(list));
        }
        catch (ListAlreadyExistsException)
        {
            return Problems.Conflict("Bank already exists");
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
        }
    }

    private static async Task<IResult> AddContentAsync(string name, HttpContext context, HashListService host, ImageDecoder decoder, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is null)
        {
            return NoBank(name);
        }

        var (file, problem) = await ReadOneFileAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var hashed = Hash(file!, decoder, cancellationToken);
        if (hashed.Pdq is null)
        {
            return Problems.BadRequest($"The file could not be hashed: {ErrorText.ForClient(hashed.Error)}");
        }

        return await AddAsync(name, Signals(hashed), file!.FileName, context, host, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> AddSignalsAsync(string name, HttpContext context, HashListService host, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is null)
        {
            return NoBank(name);
        }

        var body = await JsonBody.ReadAsync<Dictionary<string, JsonElement>>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var note = body.Remove("note", out var noteValue) && noteValue.ValueKind == JsonValueKind.String ? noteValue.GetString() : null;
        var signals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in body)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return Problems.BadRequest($"Invalid {Problems.Echo(key)} signal: a string is expected");
            }

            signals[key] = value.GetString()!;
        }

        return await AddAsync(name, signals, note, context, host, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> AddAsync(string name, Dictionary<string, string> signals, string? label, HttpContext context, HashListService host, CancellationToken cancellationToken)
    {
        if (signals.Count == 0)
        {
            return Problems.BadRequest("No signals given");
        }

        var entries = new List<HashListEntry>();
        var normalized = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (typeName, value) in signals)
        {
            if (!SignalTypes.TryGet(typeName, out var type))
            {
                return Problems.BadRequest($"No such signal type {Problems.Echo(typeName)}");
            }

            if (!type.TryNormalize(value, out var canonical, out var error))
            {
                return Problems.BadRequest($"Invalid {Problems.Echo(typeName)} signal: {Problems.Echo(error, 200)}");
            }

            normalized[type.Name] = canonical;
            entries.Add(new HashListEntry(type, canonical) { Label = label, Source = "hma" });
        }

        var added = await host.AddEntriesAsync(name, entries, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        return Results.Ok(new HmaAdded(added[0].Id, normalized));
    }

    private static IResult GetContent(string name, int id, HashListService host)
    {
        if (host.FindList(name) is not { } list)
        {
            return NoBank(name);
        }

        if (!list.TryGet(id, out var entry))
        {
            return Problems.NotFound($"content '{id}' not found");
        }

        // HMA's disable_until_ts is 0 for enabled content; Needle disables without an end date, so disabled reads 1.
        return Results.Ok(new HmaContent(entry.Id, entry.Enabled ? 0 : 1, Bank(list), new Dictionary<string, string> { [entry.SignalType.Name] = entry.Value }));
    }

    private static async Task<(IncomingMedia? File, IResult? Problem)> ReadOneFileAsync(HttpContext context, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (!JsonBody.IsMultipart(context.Request))
        {
            return (null, Problems.BadRequest("Missing multipart/form-data file upload"));
        }

        var upload = await MultipartUpload.ReadAsync(context.Request, ReportEndpoints.Limits(options), cancellationToken).ConfigureAwait(false);
        if (upload.Files.Count != 1)
        {
            return (null, Problems.BadRequest(upload.Files.Count == 0 ? "Missing multipart/form-data file upload" : "Only one file allowed per request"));
        }

        var file = upload.Files[0];
        if (!file.PartName.Equals("photo", StringComparison.OrdinalIgnoreCase) && !file.PartName.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.BadRequest($"no such content_type: '{Problems.Echo(file.PartName)}' (Needle hashes photos: name the part 'photo')"));
        }

        return (file, null);
    }

    private static MediaHashResult Hash(IncomingMedia file, ImageDecoder decoder, CancellationToken cancellationToken) =>
        new MediaFileHasher(new MediaHashOptions { Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5, Decode = decoder.Options }, decoder)
            .HashBytes(file.Bytes, file.FileName ?? file.PartName, cancellationToken);

    private static Dictionary<string, string> Signals(MediaHashResult hashed)
    {
        var signals = new Dictionary<string, string>(StringComparer.Ordinal);
        if (hashed.Pdq is { } pdq)
        {
            signals["pdq"] = pdq.Hash.ToString();
        }

        signals["md5"] = hashed.Md5!;
        return signals;
    }

    private static (FileSignals? Signals, IResult? Problem) Parse(string? signalType, string? signal)
    {
        if (string.IsNullOrEmpty(signalType) || string.IsNullOrEmpty(signal))
        {
            return (null, Problems.BadRequest("Either url or both signal and signal_type are required"));
        }

        if (!SignalTypes.TryGet(signalType, out var type))
        {
            return (null, Problems.BadRequest($"No such SignalType '{Problems.Echo(signalType)}'"));
        }

        if (!type.TryNormalize(signal, out var value, out var error))
        {
            return (null, Problems.BadRequest($"invalid signal: {Problems.Echo(error, 200)}"));
        }

        FileSignals signals = type.Name switch
        {
            "pdq" => new FileSignals { Pdq = PdqHash.Parse(value) },
            "md5" => new FileSignals { Md5 = value },
            "sha1" => new FileSignals { Sha1 = value },
            "sha256" => new FileSignals { Sha256 = value },
            _ => new FileSignals { PhotoDna = Convert.FromBase64String(value) },
        };
        return (signals, null);
    }

    private static HashSet<string>? BankFilter(string? banks) =>
        string.IsNullOrEmpty(banks) ? null : [.. banks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    // Every hit counts as a bank hit, allow lists included: HMA has no allow lists, a client sees which banks matched.
    private static IEnumerable<ListMatch> AllHits(MatchResult result, HashSet<string>? banks) =>
        result.Matches.Concat(result.AllowedBy).Concat(result.SuppressedMatches).Where(m => banks is null || banks.Contains(m.ListName));

    private static Dictionary<string, List<HmaMatch>> ByBank(MatchResult result, HashSet<string>? banks)
    {
        var byBank = new Dictionary<string, List<HmaMatch>>(StringComparer.Ordinal);
        foreach (var match in AllHits(result, banks))
        {
            if (!byBank.TryGetValue(match.ListName, out var list))
            {
                byBank[match.ListName] = list = [];
            }

            list.Add(new HmaMatch(match.Entry.Id, Distance(match)));
        }

        return byBank;
    }

    private static Dictionary<string, List<HmaVideoMatch>> VideoByBank(IReadOnlyList<Needle.Video.VideoListMatch> matches, HashSet<string>? banks)
    {
        var byBank = new Dictionary<string, List<HmaVideoMatch>>(StringComparer.Ordinal);
        foreach (var stored in VideoMatches.ToStored([.. matches.Where(m => banks is null || banks.Contains(m.ListName))]))
        {
            if (!byBank.TryGetValue(stored.ListName, out var list))
            {
                byBank[stored.ListName] = list = [];
            }

            var video = stored.Video!;
            list.Add(new HmaVideoMatch(stored.EntryId, stored.Distance.ToString("0.###", CultureInfo.InvariantCulture), video.QueryPercent, video.KnownPercent,
                [.. video.Segments.Select(static s => new HmaSegment(s.QueryStart, s.QueryEnd, s.KnownStart, s.KnownEnd))]));
        }

        return byBank;
    }

    private static string Distance(ListMatch match) => match.SignalType.Comparison == SignalComparison.Euclidean
        ? match.Distance.ToString("0.###", CultureInfo.InvariantCulture)
        : ((int)match.Distance).ToString(CultureInfo.InvariantCulture);
}
