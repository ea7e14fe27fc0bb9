using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Http;
using Needle.Server.UrlFetch;
using Needle.Video;

namespace Needle.Server.Endpoints;

/// <summary>One media file for the HMA routes, uploaded or fetched: its bytes, whether it is a video, and the form fields sent with it.</summary>
internal sealed record HmaMedia(byte[] Bytes, bool IsVideo, string Name, IReadOnlyDictionary<string, string> Fields);

/// <summary>
/// Routes shaped like Meta's Hasher-Matcher-Actioner (OpenMediaMatch) API, so HMA clients (such as ROOST's Coop) can talk
/// to Needle with only an <c>Authorization</c> header added: hashing (<c>/h</c>) and matching (<c>/m</c>) for a
/// submitter or integration key, curation (<c>/c</c>, see <see cref="HmaCuration"/>) for an admin or integration key,
/// and HMA's health probes (<c>/status</c>, <c>/status/live</c>, anonymous like <c>/livez</c>). A bank is a Needle list;
/// a bank content id is the first list entry id of the item. URL fetching (<c>?url=</c>) is off unless the operator
/// enables it (<see cref="UrlFetchOptions"/>).
/// </summary>
internal static class HmaEndpoints
{
    private const string Alive = "I-AM-ALIVE";

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/status", (HashListService host) => host.Matcher is null
                ? Results.Text("INDEX-NOT-LOADED", statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Text(Alive))
            .AllowAnonymous().WithTags("HMA health").WithSummary("HMA's readiness probe: I-AM-ALIVE once the lists are loaded.");
        app.MapGet("/status/live", () => Results.Text(Alive)).AllowAnonymous().WithTags("HMA health").WithSummary("HMA's liveness probe.");

        var hashing = app.MapGroup("/h").RequireAuthorization(Policies.HmaMatching).WithTags("HMA hashing");
        hashing.MapGet("/hash", HashUrlAsync).WithSummary("Hash the media at ?url= (when URL fetching is enabled): {pdq, md5} or {video_md5}.");
        hashing.MapPost("/hash", HashAsync).WithSummary("Hash one uploaded file (multipart part 'photo' or 'video'): {pdq, md5} or {video_md5}.");

        var matching = app.MapGroup("/m").RequireAuthorization(Policies.HmaMatching).WithTags("HMA matching");
        matching.MapGet("/lookup", LookupGetAsync)
            .WithSummary("Look up ?signal_type=&signal= ({bank: [{bank_content_id, distance}]}) or ?url= ({signal_type: {bank: [...]}}); &banks=, &seed=, &bypass_coinflip=true.");
        matching.MapPost("/lookup", LookupMediaAsync).WithSummary("Look up one uploaded file: {signal_type: {bank: [{bank_content_id, distance}]}}.");
        matching.MapGet("/raw_lookup", RawLookup).WithSummary("Raw lookup ?signal_type=&signal= (&banks=, &include_distance=true): {matches: [...]}, no coin flip.");
        matching.MapPost("/compare", CompareAsync).WithSummary("Compare pairs of hashes {signal_type: [a, b]}: {signal_type: [matched, {distance}]}.");
        matching.MapGet("/index/status", IndexStatus).WithSummary("Per signal type: {present, built_to, size} (?signal_type= for one).");

        HmaCuration.Map(app);
    }

    internal static IResult NoBank(string name) => Problems.NotFound($"bank '{Problems.Echo(name)}' not found");

    internal static async Task<HmaBank> BankAsync(HashList list, BankSampling sampling, CancellationToken cancellationToken) =>
        new(list.Name, await sampling.GetRatioAsync(list.Name, cancellationToken).ConfigureAwait(false));

    private static async Task<IResult> HashUrlAsync(
        string? url, string? content_type, string? types, ImageDecoder decoder, MatchLookup lookup, MediaUrlFetcher fetcher, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(url))
        {
            return Problems.BadRequest("url is required (or POST the media as multipart/form-data)");
        }

        var (media, problem) = await FetchAsync(url, content_type, fetcher, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (signals, hashProblem) = await HashMediaAsync(media!, types, decoder, lookup, options, cancellationToken).ConfigureAwait(false);
        return hashProblem ?? Results.Ok(signals);
    }

    private static async Task<IResult> HashAsync(HttpContext context, string? types, ImageDecoder decoder, MatchLookup lookup, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var (media, problem) = await ReadUploadAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var (signals, hashProblem) = await HashMediaAsync(media!, types, decoder, lookup, options, cancellationToken).ConfigureAwait(false);
        return hashProblem ?? Results.Ok(signals);
    }

    private static async Task<IResult> LookupGetAsync(
        string? url, string? content_type, string? types, string? signal_type, string? signal, string? banks, string? seed, string? bypass_coinflip,
        HashListService host, MatchLookup lookup, BankSampling sampling, ImageDecoder decoder, MediaUrlFetcher fetcher, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrEmpty(url))
        {
            var (media, problem) = await FetchAsync(url, content_type, fetcher, cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }

            var (signals, hashProblem) = await HashMediaAsync(media!, types, decoder, lookup, options, cancellationToken).ConfigureAwait(false);
            if (hashProblem is not null)
            {
                return hashProblem;
            }

            var gate = Gate(banks, seed ?? Md5(media!.Bytes), bypass_coinflip, sampling);
            var response = new Dictionary<string, object>(StringComparer.Ordinal);
            foreach (var (type, value) in signals!)
            {
                if (type == "vpdq")
                {
                    response[type] = await VideoByBankAsync(lookup.LookupVpdq(value), gate, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                var parsed = Parse(type, value);
                response[type] = parsed.Problem is null ? await ByBankAsync(host.Match(parsed.Signals!), gate, cancellationToken).ConfigureAwait(false) : new Dictionary<string, List<HmaMatch>>();
            }

            // With a signal type named, HMA elides the outer object.
            return signal_type is null ? Results.Ok(response) : Results.Ok(response.GetValueOrDefault(signal_type) ?? new Dictionary<string, List<HmaMatch>>());
        }

        if (string.Equals(signal_type, "vpdq", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrEmpty(signal))
        {
            try
            {
                var matches = lookup.LookupVpdq(signal);
                return Results.Ok(await VideoByBankAsync(matches, Gate(banks, seed ?? "vpdq:" + signal, bypass_coinflip, sampling), cancellationToken).ConfigureAwait(false));
            }
            catch (ReportValidationException ex)
            {
                return Problems.BadRequest(ex.Message);
            }
        }

        var lookedUp = Parse(signal_type, signal);
        if (lookedUp.Problem is not null)
        {
            return lookedUp.Problem;
        }

        var seedText = seed ?? SignalTypes.Get(signal_type!).Name + ":" + SignalTypes.Get(signal_type!).Normalize(signal);
        return Results.Ok(await ByBankAsync(host.Match(lookedUp.Signals!), Gate(banks, seedText, bypass_coinflip, sampling), cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> LookupMediaAsync(
        HttpContext context, string? banks, string? seed, string? bypass_coinflip,
        HashListService host, ImageDecoder decoder, MatchLookup lookup, BankSampling sampling, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var (media, problem) = await ReadUploadAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var gate = Gate(banks, seed ?? Md5(media!.Bytes), bypass_coinflip, sampling);
        if (MatchLookup.IsVideo(media!.Bytes))
        {
            // A video: MD5 as HMA does (video_md5, also under md5), plus vPDQ with the matched time ranges.
            if (LookupEndpoints.VideoTooLarge(media.Bytes.Length, options) is { } tooLarge)
            {
                return tooLarge;
            }

            var video = await lookup.LookupVideoAsync(media.Bytes, cancellationToken).ConfigureAwait(false);
            var exact = await ByBankAsync(video.Exact, gate, cancellationToken).ConfigureAwait(false);
            return Results.Ok(new Dictionary<string, object>(StringComparer.Ordinal)
            {
                ["video_md5"] = exact,
                ["md5"] = exact,
                ["vpdq"] = await VideoByBankAsync(video.VideoMatches, gate, cancellationToken).ConfigureAwait(false),
            });
        }

        var hashed = Hash(media, decoder, cancellationToken);
        var response = new Dictionary<string, Dictionary<string, List<HmaMatch>>>(StringComparer.Ordinal);
        if (hashed.Pdq is { } pdq)
        {
            response["pdq"] = await ByBankAsync(host.Match(new FileSignals { Pdq = pdq.Hash, PdqQuality = pdq.Quality }), gate, cancellationToken).ConfigureAwait(false);
        }

        response["md5"] = await ByBankAsync(host.Match(new FileSignals { Md5 = hashed.Md5 }), gate, cancellationToken).ConfigureAwait(false);
        return Results.Ok(response);
    }

    private static IResult RawLookup(string? signal_type, string? signal, string? banks, bool? include_distance, HashListService host)
    {
        var parsed = Parse(signal_type, signal);
        if (parsed.Problem is not null)
        {
            return parsed.Problem;
        }

        var filter = BankFilter(banks);
        var matches = AllHits(host.Match(parsed.Signals!)).Where(m => filter is null || filter.Contains(m.ListName)).ToList();
        return include_distance == true
            ? Results.Ok(new { matches = matches.Select(m => new HmaMatch(HmaBankContent.ContentId(m.Entry), Distance(m))).ToList() })
            : Results.Ok(new { matches = matches.Select(m => HmaBankContent.ContentId(m.Entry)).ToList() });
    }

    private static async Task<IResult> CompareAsync(HttpContext context, NeedleServerOptions options)
    {
        var body = await JsonBody.ReadAsync<Dictionary<string, JsonElement>>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var results = new Dictionary<string, object[]>(StringComparer.Ordinal);
        foreach (var (name, value) in body)
        {
            if (value.ValueKind != JsonValueKind.Array)
            {
                return Problems.BadRequest($"Comparison hashes for {Problems.Echo(name)} was not a list");
            }

            if (value.GetArrayLength() != 2 || value.EnumerateArray().Any(static v => v.ValueKind != JsonValueKind.String))
            {
                return Problems.BadRequest("Comparison hash list length must be exactly 2 (two strings)");
            }

            if (!SignalTypes.TryGet(name, out var type))
            {
                return Problems.BadRequest($"No such SignalType '{Problems.Echo(name)}'");
            }

            if (!type.TryNormalize(value[0].GetString(), out var left, out var error) || !type.TryNormalize(value[1].GetString(), out var right, out error))
            {
                return Problems.BadRequest($"Invalid {Problems.Echo(name)} hash: {Problems.Echo(error, 200)}");
            }

            double distance;
            if (type == SignalTypes.Pdq)
            {
                distance = PdqHash.Parse(left).HammingDistance(PdqHash.Parse(right));
            }
            else if (type == SignalTypes.PhotoDna)
            {
                distance = Euclidean(Convert.FromBase64String(left), Convert.FromBase64String(right));
            }
            else if (type.Comparison == SignalComparison.Exact)
            {
                distance = string.Equals(left, right, StringComparison.Ordinal) ? 0 : 1;
            }
            else
            {
                return Problems.BadRequest($"{Problems.Echo(name)} does not support hash comparison");
            }

            var matched = type.Comparison == SignalComparison.Exact ? distance == 0 : distance <= type.DefaultThreshold;
            object shown = type.Comparison == SignalComparison.Euclidean ? Math.Round(distance, 3) : (int)distance;
            results[name] = [matched, new Dictionary<string, object> { ["distance"] = shown }];
        }

        return Results.Ok(results);
    }

    private static IResult IndexStatus(string? signal_type, HashListService host, TimeProvider time)
    {
        var sizes = SignalTypes.All.ToDictionary(static t => t.Name, static _ => 0, StringComparer.Ordinal);
        foreach (var list in host.Lists)
        {
            foreach (var entry in list.Entries)
            {
                sizes[entry.SignalType.Name]++;
            }
        }

        // HMA's video_md5 is Needle's md5: the same entries answer both names.
        sizes["video_md5"] = sizes[SignalTypes.Md5.Name];

        // Needle's index has no build step: every change is live, so it is built up to now.
        var builtTo = time.GetUtcNow().ToUnixTimeSeconds();
        var status = sizes.ToDictionary(static s => s.Key, s => new HmaIndexStatus(true, builtTo, s.Value), StringComparer.Ordinal);
        if (signal_type is not null)
        {
            return status.TryGetValue(signal_type, out var one)
                ? Results.Ok(new Dictionary<string, HmaIndexStatus> { [signal_type] = one })
                : Problems.BadRequest($"No such signal type '{Problems.Echo(signal_type)}'");
        }

        return Results.Ok(status);
    }

    /// <summary>Reads the one file of a multipart upload (part <c>photo</c> or <c>video</c>, as HMA names content types; <c>file</c> is sniffed).</summary>
    internal static async Task<(HmaMedia? Media, IResult? Problem)> ReadUploadAsync(HttpContext context, NeedleServerOptions options, CancellationToken cancellationToken)
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
        bool isVideo;
        if (file.PartName.Equals("photo", StringComparison.OrdinalIgnoreCase))
        {
            isVideo = false;
        }
        else if (file.PartName.Equals("video", StringComparison.OrdinalIgnoreCase))
        {
            isVideo = true;
        }
        else if (file.PartName.Equals("file", StringComparison.OrdinalIgnoreCase))
        {
            isVideo = MatchLookup.IsVideo(file.Bytes);
        }
        else
        {
            return (null, Problems.BadRequest($"no such content_type: '{Problems.Echo(file.PartName)}' (name the part 'photo' or 'video')"));
        }

        return (new HmaMedia(file.Bytes, isVideo, file.FileName ?? file.PartName, upload.Fields), null);
    }

    /// <summary>Fetches <paramref name="url"/> through the guarded fetcher; the content type is the <c>content_type</c> hint, else the response's media type.</summary>
    internal static async Task<(HmaMedia? Media, IResult? Problem)> FetchAsync(string url, string? contentType, MediaUrlFetcher fetcher, CancellationToken cancellationToken)
    {
        if (contentType is not null && contentType is not ("photo" or "video"))
        {
            return (null, Problems.BadRequest($"no such content_type: '{Problems.Echo(contentType)}'"));
        }

        try
        {
            var fetched = await fetcher.FetchAsync(url, cancellationToken).ConfigureAwait(false);
            var isVideo = contentType is null ? fetched.MediaType.StartsWith("video/", StringComparison.OrdinalIgnoreCase) : contentType == "video";
            return (new HmaMedia(fetched.Bytes, isVideo, fetched.Url.AbsolutePath, new Dictionary<string, string>()), null);
        }
        catch (UrlFetchException ex)
        {
            return (null, Problems.Problem(ex.Status, ex.Status == StatusCodes.Status413PayloadTooLarge ? "The fetched media is too large." : "The URL was not fetched.", ex.Message));
        }
    }

    /// <summary>
    /// HMA's hash answer: a photo's PDQ (and MD5); a video's <c>video_md5</c> and, when this server hashes videos and the
    /// video is within <see cref="NeedleServerOptions.MaxVideoLookupBytes"/>, its <c>vpdq</c> (HMA's vPDQ extension's
    /// name), so near-duplicate videos can be banked and looked up. <paramref name="types"/> narrows the answer.
    /// </summary>
    internal static async Task<(Dictionary<string, string>? Signals, IResult? Problem)> HashMediaAsync(
        HmaMedia media, string? types, ImageDecoder decoder, MatchLookup lookup, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var signals = new Dictionary<string, string>(StringComparer.Ordinal);
        if (media.IsVideo)
        {
            signals["video_md5"] = Md5(media.Bytes);
            if (media.Bytes.Length <= options.MaxVideoLookupBytes && MatchLookup.IsVideo(media.Bytes))
            {
                var video = await lookup.LookupVideoAsync(media.Bytes, cancellationToken).ConfigureAwait(false);
                if (video.Video is { Frames.Count: > 0 } hash)
                {
                    signals["vpdq"] = VideoListIndex.FormatValue(hash.Frames);
                }
            }
        }
        else
        {
            var hashed = Hash(media, decoder, cancellationToken);
            if (hashed.Pdq is not { } pdq)
            {
                return (null, Problems.BadRequest($"The file could not be hashed: {ErrorText.ForClient(hashed.Error)}"));
            }

            signals["pdq"] = pdq.Hash.ToString();
            signals["md5"] = hashed.Md5!;
        }

        if (types is null)
        {
            return (signals, null);
        }

        var chosen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in types.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!signals.TryGetValue(name, out var value))
            {
                return (null, Problems.BadRequest($"signal type '{Problems.Echo(name)}' doesn't exist or is disabled"));
            }

            chosen[name] = value;
        }

        return chosen.Count == 0 ? (null, Problems.BadRequest("empty signal type selection")) : (chosen, null);
    }

    internal static (FileSignals? Signals, IResult? Problem) Parse(string? signalType, string? signal)
    {
        if (string.IsNullOrEmpty(signalType) || string.IsNullOrEmpty(signal))
        {
            return (null, Problems.BadRequest("Either url or both signal and signal_type are required"));
        }

        if (!SignalTypes.TryGet(signalType, out var type) || type == SignalTypes.Vpdq)
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

    private static MediaHashResult Hash(HmaMedia media, ImageDecoder decoder, CancellationToken cancellationToken) =>
        new MediaFileHasher(new MediaHashOptions { Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5, Decode = decoder.Options }, decoder)
            .HashBytes(media.Bytes, media.Name, cancellationToken);

    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    private static double Euclidean(byte[] left, byte[] right)
    {
        double sum = 0;
        for (var i = 0; i < left.Length && i < right.Length; i++)
        {
            double d = left[i] - right[i];
            sum += d * d;
        }

        return Math.Sqrt(sum);
    }

    private static HashSet<string>? BankFilter(string? banks) =>
        string.IsNullOrEmpty(banks) ? null : [.. banks.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static HmaBankGate Gate(string? banks, string seed, string? bypassCoinflip, BankSampling sampling) =>
        new(BankFilter(banks), string.Equals(bypassCoinflip, "true", StringComparison.OrdinalIgnoreCase) ? null : BankSampling.CoinFlip(seed), sampling);

    // Every hit counts as a bank hit, allow lists included: HMA has no allow lists, a client sees which banks matched.
    private static IEnumerable<ListMatch> AllHits(MatchResult result) => result.Matches.Concat(result.AllowedBy).Concat(result.SuppressedMatches);

    private static async Task<Dictionary<string, List<HmaMatch>>> ByBankAsync(MatchResult result, HmaBankGate gate, CancellationToken cancellationToken)
    {
        var byBank = new Dictionary<string, List<HmaMatch>>(StringComparer.Ordinal);
        foreach (var match in AllHits(result))
        {
            if (!await gate.AdmitsAsync(match.ListName, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            if (!byBank.TryGetValue(match.ListName, out var list))
            {
                byBank[match.ListName] = list = [];
            }

            list.Add(new HmaMatch(HmaBankContent.ContentId(match.Entry), Distance(match)));
        }

        return byBank;
    }

    private static async Task<Dictionary<string, List<HmaVideoMatch>>> VideoByBankAsync(IReadOnlyList<VideoListMatch> matches, HmaBankGate gate, CancellationToken cancellationToken)
    {
        var byBank = new Dictionary<string, List<HmaVideoMatch>>(StringComparer.Ordinal);
        var admitted = new List<VideoListMatch>();
        foreach (var match in matches)
        {
            if (await gate.AdmitsAsync(match.ListName, cancellationToken).ConfigureAwait(false))
            {
                admitted.Add(match);
            }
        }

        // A vPDQ entry banked with its video_md5 reports the item's content id.
        var contentIds = new Dictionary<(string, int), int>();
        foreach (var match in admitted)
        {
            contentIds[(match.ListName, match.Entry.Id)] = HmaBankContent.ContentId(match.Entry);
        }

        foreach (var stored in VideoMatches.ToStored(admitted))
        {
            if (!byBank.TryGetValue(stored.ListName, out var list))
            {
                byBank[stored.ListName] = list = [];
            }

            var video = stored.Video!;
            list.Add(new HmaVideoMatch(contentIds.GetValueOrDefault((stored.ListName, stored.EntryId), stored.EntryId), stored.Distance.ToString("0.###", CultureInfo.InvariantCulture), video.QueryPercent, video.KnownPercent,
                [.. video.Segments.Select(static s => new HmaSegment(s.QueryStart, s.QueryEnd, s.KnownStart, s.KnownEnd))]));
        }

        return byBank;
    }

    private static string Distance(ListMatch match) => match.SignalType.Comparison == SignalComparison.Euclidean
        ? match.Distance.ToString("0.###", CultureInfo.InvariantCulture)
        : ((int)match.Distance).ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Which banks a lookup reports: those asked for (all when none), and, unless the caller bypasses the coin flip, those
/// whose enabled ratio admits the lookup's flip (HMA: ratio ≥ flip). Each bank's ratio is read once per lookup.
/// </summary>
internal sealed class HmaBankGate(HashSet<string>? requested, double? coinFlip, BankSampling sampling)
{
    private readonly Dictionary<string, bool> _admitted = new(StringComparer.Ordinal);

    public async ValueTask<bool> AdmitsAsync(string bank, CancellationToken cancellationToken)
    {
        if (requested is not null && !requested.Contains(bank))
        {
            return false;
        }

        if (coinFlip is not { } flip)
        {
            return true;
        }

        if (!_admitted.TryGetValue(bank, out var admitted))
        {
            _admitted[bank] = admitted = BankSampling.Admits(await sampling.GetRatioAsync(bank, cancellationToken).ConfigureAwait(false), flip);
        }

        return admitted;
    }
}
