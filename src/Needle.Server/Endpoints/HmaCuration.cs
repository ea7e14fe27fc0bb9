using System.Globalization;
using System.Text.Json;
using Needle.Application.Lists;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Http;
using Needle.Server.UrlFetch;

namespace Needle.Server.Endpoints;

/// <summary>
/// HMA's curation routes (<c>/c</c>): banks with their enabled ratio, bank content with its metadata and note, and
/// signals. For an admin or an integration key. Differences from HMA: an existing bank name answers 409 (HMA: 403, which
/// clients cannot tell from a missing role); a bank cannot be renamed (HMA clients such as Coop create a new bank and
/// delete the old one); content is disabled (<c>disable_until_ts</c> 0) or enabled (1), not disabled until a time.
/// </summary>
internal static class HmaCuration
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var curation = app.MapGroup("/c").RequireAuthorization(Policies.HmaCuration).WithTags("HMA curation");
        curation.MapGet("/banks", ListBanksAsync).WithSummary("The banks: [{name, matching_enabled_ratio}].");
        curation.MapPost("/banks", CreateBankAsync).WithSummary("Create a bank: {name, enabled_ratio?, enabled?}; 201 with the bank.");
        curation.MapGet("/bank/{name}", async (string name, HashListService host, BankSampling sampling, CancellationToken ct) =>
                host.FindList(name) is { } list ? Results.Ok(await HmaEndpoints.BankAsync(list, sampling, ct).ConfigureAwait(false)) : HmaEndpoints.NoBank(name))
            .WithSummary("One bank.");
        curation.MapPut("/bank/{name}", UpdateBankAsync).WithSummary("Update a bank: {enabled_ratio?, enabled?}; the bank.");
        curation.MapDelete("/bank/{name}", DeleteBankAsync).WithSummary("Delete a bank: {message: Done} (also when there was none, as HMA).");
        curation.MapPost("/bank/{name}/content", AddContentAsync)
            .WithSummary("Add media to a bank: multipart part 'photo' or 'video' (fields metadata, content_id, content_uri, note), or ?url=; {id, signals}.");
        curation.MapGet("/bank/{name}/content/{id:int}", GetContentAsync).WithSummary("One content item (&include_signals=true, &include_metadata=false).");
        curation.MapPut("/bank/{name}/content/{id:int}", UpdateContentAsync).WithSummary("Enable (disable_until_ts 1) or disable (0) a content item.");
        curation.MapDelete("/bank/{name}/content/{id:int}", DeleteContentAsync).WithSummary("Remove a content item: {deleted}.");
        curation.MapPost("/bank/{name}/signal", AddSignalsAsync).WithSummary("Add hashes to a bank: {\"pdq\": \"...\", \"video_md5\": \"...\", \"note\": \"...\"}.");
    }

    private static async Task<IResult> ListBanksAsync(HashListService host, BankSampling sampling, CancellationToken cancellationToken)
    {
        var banks = new List<HmaBank>();
        foreach (var list in host.Lists)
        {
            banks.Add(await HmaEndpoints.BankAsync(list, sampling, cancellationToken).ConfigureAwait(false));
        }

        return Results.Ok(banks);
    }

    private static async Task<IResult> CreateBankAsync(HttpContext context, HashListService host, BankSampling sampling, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var body = await JsonBody.ReadAsync<Dictionary<string, JsonElement>>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (!body.TryGetValue("name", out var nameValue) || nameValue.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(nameValue.GetString()))
        {
            return Problems.BadRequest("name is required");
        }

        var (ratio, problem) = ReadRatio(body);
        if (problem is not null)
        {
            return problem;
        }

        var name = nameValue.GetString()!;
        var actor = context.User.Actor();
        var remote = context.Connection.RemoteIpAddress?.ToString();
        HashList list;
        try
        {
            list = await host.CreateListAsync(name, HashListKind.Known, null, actor, remote, cancellationToken).ConfigureAwait(false);
        }
        catch (ListAlreadyExistsException)
        {
            return Problems.Conflict("Bank already exists");
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
        }

        // Written at every creation, so a bank never inherits the ratio of a deleted bank of the same name.
        var value = ratio ?? BankSampling.DefaultRatio;
        await sampling.SetRatioAsync(list.Name, value, actor, remote, cancellationToken).ConfigureAwait(false);
        return TypedResults.Created($"/c/bank/{Uri.EscapeDataString(list.Name)}", new HmaBank(list.Name, value));
    }

    private static async Task<IResult> UpdateBankAsync(string name, HttpContext context, HashListService host, BankSampling sampling, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is not { } list)
        {
            return Problems.NotFound("Bank not found");
        }

        var body = await JsonBody.ReadAsync<Dictionary<string, JsonElement>>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (body.TryGetValue("name", out var rename) && rename.ValueKind != JsonValueKind.Null && rename.GetString() != list.Name)
        {
            return Problems.BadRequest("Renaming a bank is not supported: create a bank with the new name, add the content, and delete this one");
        }

        var (ratio, problem) = ReadRatio(body);
        if (problem is not null)
        {
            return problem;
        }

        if (ratio is { } value)
        {
            await sampling.SetRatioAsync(list.Name, value, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        }

        return Results.Ok(await HmaEndpoints.BankAsync(list, sampling, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> DeleteBankAsync(string name, HttpContext context, HashListService host, BankSampling sampling, CancellationToken cancellationToken)
    {
        var actor = context.User.Actor();
        var remote = context.Connection.RemoteIpAddress?.ToString();
        if (await host.DeleteListAsync(name, actor, remote, cancellationToken).ConfigureAwait(false))
        {
            await sampling.SetRatioAsync(name, BankSampling.DefaultRatio, actor, remote, cancellationToken).ConfigureAwait(false);
        }

        return Results.Ok(new { message = "Done" });
    }

    /// <summary>HMA's ratio fields: <c>enabled_ratio</c> (a number, or a string holding one as Coop sends it) wins over <c>enabled</c> (true 1.0, false 0.0).</summary>
    private static (double? Ratio, IResult? Problem) ReadRatio(Dictionary<string, JsonElement> body)
    {
        if (body.TryGetValue("enabled_ratio", out var ratioValue) && ratioValue.ValueKind != JsonValueKind.Null)
        {
            if (!BankSampling.TryReadRatio(ratioValue, out var ratio) || double.IsNaN(ratio) || ratio is < 0 or > 1)
            {
                return (null, Problems.BadRequest("enabled_ratio must be a number from 0.0 to 1.0"));
            }

            return (ratio, null);
        }

        if (body.TryGetValue("enabled", out var enabled) && enabled.ValueKind != JsonValueKind.Null)
        {
            return enabled.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? (enabled.GetBoolean() ? 1.0 : 0.0, null)
                : (null, Problems.BadRequest("enabled must be true or false"));
        }

        return (null, null);
    }

    private static async Task<IResult> AddContentAsync(
        string name, string? url, string? content_type, string? types, string? metadata, string? content_id, string? content_uri, string? note,
        HttpContext context, HashListService host, ImageDecoder decoder, MatchLookup lookup, MediaUrlFetcher fetcher, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is null)
        {
            return HmaEndpoints.NoBank(name);
        }

        HmaMedia? media;
        IResult? problem;
        JsonElement? metadataJson = null;
        JsonElement? noteJson = null;
        if (!string.IsNullOrEmpty(url))
        {
            if (JsonBody.IsJson(context.Request))
            {
                // HMA also reads metadata and note from a JSON body sent with ?url=.
                var body = await JsonBody.ReadAsync<Dictionary<string, JsonElement>>(context, options.MaxJsonBytes).ConfigureAwait(false);
                metadataJson = body.TryGetValue("metadata", out var m) ? m : null;
                noteJson = body.TryGetValue("note", out var n) ? n : null;
            }

            (media, problem) = await HmaEndpoints.FetchAsync(url, content_type, fetcher, cancellationToken).ConfigureAwait(false);
        }
        else if (JsonBody.IsMultipart(context.Request))
        {
            (media, problem) = await HmaEndpoints.ReadUploadAsync(context, options, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            return Problems.BadRequest("Neither `url` nor multipart file upload was received");
        }

        if (problem is not null)
        {
            return problem;
        }

        var fields = media!.Fields;
        var (parsedMetadata, metadataProblem) = HmaBankContent.ParseMetadata(
            fields.GetValueOrDefault("metadata") ?? metadata, metadataJson, fields.GetValueOrDefault("content_id") ?? content_id, fields.GetValueOrDefault("content_uri") ?? content_uri);
        if (metadataProblem is not null)
        {
            return Problems.BadRequest(metadataProblem);
        }

        var (parsedNote, noteProblem) = noteJson is not null ? HmaBankContent.ParseNote(noteJson) : HmaBankContent.ParseNote(fields.GetValueOrDefault("note") ?? note);
        if (noteProblem is not null)
        {
            return Problems.BadRequest(noteProblem);
        }

        var (signals, hashProblem) = await HmaEndpoints.HashMediaAsync(media, types, decoder, lookup, options, cancellationToken).ConfigureAwait(false);
        if (hashProblem is not null)
        {
            return hashProblem;
        }

        return await AddAsync(name, signals!, parsedMetadata, parsedNote, media.Name, context, host, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> AddSignalsAsync(string name, HttpContext context, HashListService host, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is null)
        {
            return HmaEndpoints.NoBank(name);
        }

        var body = await JsonBody.ReadAsync<Dictionary<string, JsonElement>>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var (note, noteProblem) = HmaBankContent.ParseNote(body.Remove("note", out var noteValue) ? noteValue : null);
        if (noteProblem is not null)
        {
            return Problems.BadRequest(noteProblem);
        }

        var signals = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in body)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                return Problems.BadRequest($"Invalid {Problems.Echo(key)} signal: a string is expected");
            }

            signals[key] = value.GetString()!;
        }

        return await AddAsync(name, signals, null, note, null, context, host, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> AddAsync(
        string name, Dictionary<string, string> signals, HmaContentMetadata? metadata, string? note, string? fileName, HttpContext context, HashListService host, CancellationToken cancellationToken)
    {
        if (signals.Count == 0)
        {
            return Problems.BadRequest("No signals given");
        }

        var normalized = new Dictionary<string, string>(StringComparer.Ordinal);
        var typed = new List<(SignalType Type, string Value)>();
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

            // The name as the client sent it (video_md5 stays video_md5), the value canonical.
            normalized[typeName] = canonical;
            typed.Add((type, canonical));
        }

        var label = note ?? metadata?.ContentId ?? fileName;
        var entries = new List<HashListEntry>(typed.Count);
        for (var i = 0; i < typed.Count; i++)
        {
            entries.Add(new HashListEntry(typed[i].Type, typed[i].Value)
            {
                Label = label,
                Source = "hma",
                Metadata = HmaBankContent.Metadata(metadata, note, i, typed.Count),
            });
        }

        var added = await host.AddEntriesAsync(name, entries, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        if (!Consecutive(added))
        {
            // The content id relies on the item's entries having consecutive ids (they are added in one transaction).
            throw new InvalidOperationException("The entries of one content item did not get consecutive ids.");
        }

        return Results.Ok(new HmaAdded(added[0].Id, normalized));
    }

    private static bool Consecutive(IReadOnlyList<HashListEntry> added)
    {
        for (var i = 1; i < added.Count; i++)
        {
            if (added[i].Id != added[0].Id + i)
            {
                return false;
            }
        }

        return added.Count > 0;
    }

    private static async Task<IResult> GetContentAsync(string name, int id, string? include_signals, string? include_metadata, HashListService host, BankSampling sampling, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is not { } list)
        {
            return HmaEndpoints.NoBank(name);
        }

        var entries = HmaBankContent.Entries(list, id);
        if (entries.Count == 0)
        {
            return Problems.NotFound($"content '{id.ToString(CultureInfo.InvariantCulture)}' not found");
        }

        var first = entries[0];
        var signals = string.Equals(include_signals, "true", StringComparison.OrdinalIgnoreCase)
            ? entries.ToDictionary(static e => e.SignalType.Name, static e => e.Value, StringComparer.Ordinal)
            : null;
        var metadata = string.Equals(include_metadata ?? "true", "true", StringComparison.OrdinalIgnoreCase) ? HmaBankContent.ReadMetadata(first) : null;

        // HMA's magic values: 1 is enabled, 0 is disabled.
        return Results.Ok(new HmaContent(first.Id, first.Enabled ? 1 : 0, null, await HmaEndpoints.BankAsync(list, sampling, cancellationToken).ConfigureAwait(false),
            signals, metadata, first.Metadata.GetValueOrDefault(HmaBankContent.NoteKey)));
    }

    private static async Task<IResult> UpdateContentAsync(string name, int id, HttpContext context, HashListService host, BankSampling sampling, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is not { } list)
        {
            return HmaEndpoints.NoBank(name);
        }

        var entries = HmaBankContent.Entries(list, id);
        if (entries.Count == 0)
        {
            return Problems.NotFound($"content '{id.ToString(CultureInfo.InvariantCulture)}' not found");
        }

        var body = await JsonBody.ReadAsync<Dictionary<string, JsonElement>>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (body.ContainsKey("note"))
        {
            return Problems.BadRequest("Changing the note of stored content is not supported: it is set when the content is added");
        }

        if (body.TryGetValue("disable_until_ts", out var value) && value.ValueKind != JsonValueKind.Null)
        {
            long ts;
            if (!(value.ValueKind == JsonValueKind.Number ? value.TryGetInt64(out ts)
                : value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out ts)))
            {
                return Problems.BadRequest("disable_until_ts must be a non-negative integer");
            }

            if (ts is not (0 or 1))
            {
                return Problems.BadRequest("disable_until_ts: Needle disables content until it is enabled again; send 0 to disable or 1 to enable (a timed disable is not supported)");
            }

            foreach (var entry in entries)
            {
                await host.SetEntryEnabledAsync(name, entry.Id, ts == 1, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
            }
        }

        return await GetContentAsync(name, id, "true", "true", host, sampling, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<IResult> DeleteContentAsync(string name, int id, HttpContext context, HashListService host, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is not { } list)
        {
            return HmaEndpoints.NoBank(name);
        }

        var deleted = 0;
        foreach (var entry in HmaBankContent.Entries(list, id))
        {
            if (await host.RemoveEntryAsync(name, entry.Id, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false))
            {
                deleted = 1;
            }
        }

        return Results.Ok(new { deleted });
    }
}
