using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Hosting;
using Needle.Application.Lists;
using Needle.Core.Jobs;
using Needle.Core.Lists;
using Needle.Core.Storage;
using Needle.Hashing;
using Needle.Matching.Formats;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Http;
using Needle.Server.Processing;

namespace Needle.Server.Endpoints;

internal sealed record ListResponse(string Name, HashListKind Kind, int PdqThreshold, double PhotoDnaThreshold, int Entries, int Enabled)
{
    public static ListResponse From(HashList list)
    {
        var entries = list.Entries;
        return new(list.Name, list.Kind, list.PdqThreshold, list.PhotoDnaThreshold, entries.Count, entries.Count(e => e.Enabled));
    }
}

internal sealed record CreateListRequest(string? Name, HashListKind? Kind, double? PdqThreshold);

internal sealed record EntryRequest(string? SignalType, string? Value, string? Label, string? Category, string? Source, bool? Enabled, Dictionary<string, string>? Metadata);

internal sealed record AddEntriesRequest(IReadOnlyList<EntryRequest>? Entries);

internal sealed record EntryResponse(int Id, string SignalType, string Value, string? Label, string? Category, string? Source, bool Enabled, IReadOnlyDictionary<string, string> Metadata)
{
    public static EntryResponse From(HashListEntry e) => new(e.Id, e.SignalType.Name, e.Value, e.Label, e.Category, e.Source, e.Enabled, e.Metadata);
}

internal sealed record AddEntriesResponse(IReadOnlyList<EntryResponse> Added);

internal sealed record PatchEntryRequest(bool? Enabled);

internal sealed record QuarantineResponse(int EntryId, string? SignalType, string? Value, string? Label, long Matches, double Baseline, double WindowHours, DateTimeOffset QuarantinedAt)
{
    public static QuarantineResponse From(Needle.Core.Lists.EntryQuarantine q, HashList? list)
    {
        HashListEntry? entry = null;
        _ = list?.TryGet(q.EntryId, out entry);
        return new(q.EntryId, entry?.SignalType.Name, entry?.Value, entry?.Label, q.Matches, q.Baseline, q.Window.TotalHours, q.QuarantinedAt);
    }
}

internal sealed record ImportJobResponse(Guid Id, string List, ListImportState State, string? Format, int RecordsRead, int Imported, int Invalid, IReadOnlyList<string> Errors,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt)
{
    public static ImportJobResponse From(ListImportRecord r) => new(r.Id, r.ListName, r.State, r.Format, r.RecordsRead, r.Imported, r.Invalid, r.Errors, r.StartedAt, r.FinishedAt);
}

internal sealed record ImportResponse(string List, string Format, int RecordsRead, int Imported, int Invalid, IReadOnlyList<string> Errors)
{
    /// <summary>Values skipped because they can never match (all-zero PDQ hashes of images too small to hash).</summary>
    public int Skipped { get; init; }

    /// <summary>Why each was skipped ("record N, field F: ...").</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>Hash lists (admin). Every change goes through <see cref="HashListService"/>, so it is stored, live in the matcher and audited at once.</summary>
internal static class ListEndpoints
{
    private const int MaxEntriesPerRequest = 100_000;

    public static void Map(RouteGroupBuilder api)
    {
        var lists = api.MapGroup("/lists").RequireAuthorization(Policies.Admin).WithTags("Lists");
        lists.MapGet("", (HashListService host) => TypedResults.Ok(host.Lists.Select(ListResponse.From).ToList()))
            .WithSummary("The hash lists.");
        lists.MapPost("", CreateAsync).Accepts<CreateListRequest>("application/json").Produces<ListResponse>(StatusCodes.Status201Created)
            .WithSummary("Create an empty list: name, kind (known or allow), pdqThreshold.");
        lists.MapGet("/{name}", (string name, HashListService host) =>
                host.FindList(name) is { } list ? Results.Ok(ListResponse.From(list)) : NoList(name))
            .WithSummary("One list.");
        lists.MapDelete("/{name}", DeleteAsync).WithSummary("Delete a list and its entries.");
        lists.MapGet("/{name}/entries", (string name, HashListService host) =>
                host.FindList(name) is { } list ? Results.Ok(list.Entries.Select(EntryResponse.From).ToList()) : NoList(name))
            .WithSummary("A list's entries.");
        lists.MapPost("/{name}/entries", AddEntriesAsync).Accepts<AddEntriesRequest>("application/json", "multipart/form-data")
            .Produces<AddEntriesResponse>(StatusCodes.Status201Created)
            .WithSummary("Add entries: JSON {entries:[{signalType, value, label, category}]}, or multipart media (hashed: PDQ and MD5; optional 'label' and 'category' fields).");
        lists.MapPatch("/{name}/entries/{id:int}", PatchEntryAsync).Accepts<PatchEntryRequest>("application/json")
            .WithSummary("Enable or disable an entry: {enabled: bool}.");
        lists.MapDelete("/{name}/entries/{id:int}", async (string name, int id, HttpContext context, HashListService host, INeedleStore store, CancellationToken ct) =>
                await host.RemoveEntryAsync(name, id, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false)
                    ? await ListChangedAsync(store, Results.NoContent(), ct).ConfigureAwait(false)
                    : Problems.NotFound($"No entry {id} in list '{Problems.Echo(name)}'."))
            .WithSummary("Remove an entry.");
        lists.MapGet("/{name}/quarantine", async (string name, HashListService host, CancellationToken ct) =>
                host.FindList(name) is { } list
                    ? Results.Ok((await host.GetQuarantinedAsync(name, ct).ConfigureAwait(false)).Select(q => QuarantineResponse.From(q, list)).ToList())
                    : NoList(name))
            .WithSummary("The list's entries the flood guard quarantined (disabled for a sudden surge of matches), with their rate and when.");
        lists.MapPost("/{name}/entries/{id:int}/release", async (string name, int id, HttpContext context, HashListService host, INeedleStore store, CancellationToken ct) =>
                await host.ReleaseAsync(name, id, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false)
                    ? await ListChangedAsync(store, Results.NoContent(), ct).ConfigureAwait(false)
                    : Problems.NotFound($"No quarantined entry {id} in list '{Problems.Echo(name)}'."))
            .WithSummary("Release a quarantined entry: it matches again, and the rate it was quarantined at becomes its baseline.");
        lists.MapPost("/{name}/import", ImportAsync)
            .WithSummary("Import a list file (the body) into the list, creating it if needed: ?format=csv|text|vics|icse|ncmec|stopncii|needle (detected when absent), &skipInvalid=true, &kind=known|allow, &async=true (202 with a job; always for a large file).");
        lists.MapGet("/{name}/imports/{id:guid}", GetImportAsync)
            .WithSummary("An import job: state (running, succeeded, failed), records read, imported, invalid, the first errors.");
        lists.MapGet("/{name}/export", Export)
            .WithSummary("Export the list as a file: ?format=csv|text|vics|vics-1.3|icse|ncmec|stopncii|needle (default needle).");
    }

    private static IResult NoList(string name) => Problems.NotFound($"There is no list named '{Problems.Echo(name)}'.");

    private static async Task<IResult> CreateAsync(HttpContext context, HashListService host, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<CreateListRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return Problems.BadRequest("A list needs a name.", ["name is required"]);
        }

        try
        {
            var list = await host.CreateListAsync(request.Name, request.Kind ?? HashListKind.Known, request.PdqThreshold, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken)
                .ConfigureAwait(false);
            return TypedResults.Created($"/api/v1/lists/{Uri.EscapeDataString(list.Name)}", ListResponse.From(list));
        }
        catch (ListAlreadyExistsException ex)
        {
            return Problems.Conflict(ex.Message);
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
        }
    }

    private static async Task<IResult> DeleteAsync(string name, HttpContext context, HashListService host, INeedleStore store, CancellationToken cancellationToken) =>
        await host.DeleteListAsync(name, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false)
            ? await ListChangedAsync(store, Results.NoContent(), cancellationToken).ConfigureAwait(false)
            : NoList(name);

    /// <summary>A list changed: the scores of open reports may depend on it, so they are computed again (one pending job at most).</summary>
    private static async Task<IResult> ListChangedAsync(INeedleStore store, IResult result, CancellationToken cancellationToken)
    {
        await store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private static async Task<IResult> AddEntriesAsync(string name, HttpContext context, HashListService host, ImageDecoder decoder,
        NeedleServerOptions options, INeedleStore store, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is null)
        {
            return NoList(name);
        }

        var entries = new List<HashListEntry>();
        var errors = new List<string>();
        if (JsonBody.IsMultipart(context.Request))
        {
            var upload = await MultipartUpload.ReadAsync(context.Request, ReportEndpoints.Limits(options), cancellationToken).ConfigureAwait(false);
            if (upload.Files.Count == 0)
            {
                return Problems.BadRequest("Send at least one file part.");
            }

            upload.Fields.TryGetValue("label", out var label);
            upload.Fields.TryGetValue("category", out var category);
            var hasher = new MediaFileHasher(new MediaHashOptions { Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5, Decode = decoder.Options }, decoder);
            foreach (var file in upload.Files)
            {
                var hashed = hasher.HashBytes(file.Bytes, file.FileName ?? file.PartName, cancellationToken);
                if (hashed.Pdq is not { } pdq)
                {
                    errors.Add($"{file.FileName ?? file.PartName}: not a decodable image ({ErrorText.ForClient(hashed.Error)})");
                    continue;
                }

                var itemLabel = label ?? file.FileName;
                var metadata = new Dictionary<string, string> { ["quality"] = pdq.Quality.ToString(CultureInfo.InvariantCulture) };
                entries.Add(new HashListEntry(SignalTypes.Pdq, pdq.Hash.ToString()) { Label = itemLabel, Category = category, Source = "upload", Metadata = metadata });
                entries.Add(new HashListEntry(SignalTypes.Md5, hashed.Md5!) { Label = itemLabel, Category = category, Source = "upload" });
            }
        }
        else
        {
            var request = await JsonBody.ReadAsync<AddEntriesRequest>(context, options.MaxJsonBytes * 16).ConfigureAwait(false);
            if (request.Entries is not { Count: > 0 and <= MaxEntriesPerRequest })
            {
                return Problems.BadRequest($"Send 1 to {MaxEntriesPerRequest} entries.", ["entries is required"]);
            }

            for (var i = 0; i < request.Entries.Count; i++)
            {
                var item = request.Entries[i];
                if (!SignalTypes.TryGet(item?.SignalType, out var type))
                {
                    errors.Add($"entries[{i}].signalType: give one of pdq, md5, sha1, sha256, photodna");
                    continue;
                }

                if (item!.Value is null)
                {
                    errors.Add($"entries[{i}].value: required");
                    continue;
                }

                if (!type.TryNormalize(item.Value, out var value, out var error))
                {
                    errors.Add($"entries[{i}].value: {error}");
                    continue;
                }

                entries.Add(new HashListEntry(type, value)
                {
                    Label = item.Label,
                    Category = item.Category,
                    Source = item.Source,
                    Enabled = item.Enabled ?? true,
                    Metadata = item.Metadata ?? [],
                });
            }
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest("Some entries are invalid; nothing was added.", errors);
        }

        try
        {
            var added = await host.AddEntriesAsync(name, entries, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
            return await ListChangedAsync(store, TypedResults.Created($"/api/v1/lists/{Uri.EscapeDataString(name)}/entries", new AddEntriesResponse([.. added.Select(EntryResponse.From)])), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (ListNotFoundException)
        {
            return NoList(name);
        }
    }

    private static async Task<IResult> PatchEntryAsync(string name, int id, HttpContext context, HashListService host, NeedleServerOptions options, INeedleStore store, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<PatchEntryRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (request.Enabled is not { } enabled)
        {
            return Problems.BadRequest("Say whether the entry is enabled.", ["enabled is required"]);
        }

        if (!await host.SetEntryEnabledAsync(name, id, enabled, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false))
        {
            return Problems.NotFound($"No entry {id} in list '{Problems.Echo(name)}'.");
        }

        await store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, cancellationToken).ConfigureAwait(false);
        return host.FindList(name) is { } list && list.TryGet(id, out var entry) ? Results.Ok(EntryResponse.From(entry)) : Results.NoContent();
    }

    private static async Task<IResult> ImportAsync(string name, string? format, bool? skipInvalid, string? kind, [FromQuery(Name = "async")] bool? runAsync, HttpContext context, ListImporter importer,
        NeedleServerOptions options, INeedleStore store, IHostApplicationLifetime lifetime, CancellationToken cancellationToken)
    {
        if (format is not null && !HashListFormats.Default.TryGet(format, out _))
        {
            return Problems.BadRequest($"Unknown format '{Problems.Echo(format)}'.", [$"format must be one of {FormatNames()}"]);
        }

        HashListKind? listKind = kind is null ? null : Enum.TryParse<HashListKind>(kind, true, out var k) && Enum.IsDefined(k) ? k : (HashListKind?)(-1);
        if (listKind is (HashListKind)(-1))
        {
            return Problems.BadRequest("kind must be known or allow.");
        }

        // List files are larger than reports: this endpoint lifts the request limit for itself (to the configured one, if any).
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxListImportBytes;
        }

        // The body goes to a temporary file, never memory, and the import starts with its first bytes, reading the file
        // as it grows (UploadSpool): parsing overlaps the upload, and commits only once the whole body arrived. A gzip
        // body is spooled compressed and decompressed while parsed.
        var path = ListImportFiles.NewPath();
        var spool = new UploadSpool(path);
        var request = new ListImportRequest
        {
            ListName = name,
            FilePath = path,
            Upload = spool,
            Gzip = context.Request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase),
            MaxDecompressedBytes = options.MaxListImportBytes,
            Format = format,
            SkipInvalid = skipInvalid ?? false,
            Kind = listKind,
            Actor = context.User.Actor(),
            RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
            Node = WorkerIdentity.Create(Environment.MachineName, Environment.ProcessId, 0),
        };
        Task<ListImportRecord>? job = null;
        long length;
        try
        {
            length = await ReceiveAsync(context, spool, options.MaxListImportBytes ?? long.MaxValue,
                    () => job = Task.Run(() => importer.RunAsync(request, lifetime.ApplicationStopping), CancellationToken.None), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Too large, or the client gone: the import fails (and keeps nothing) before this answers.
            spool.Fail(ex is RequestProblemException
                ? "the upload was refused: " + ex.Message
                : $"the upload broke off after {spool.Length} bytes, before the whole list arrived ({ex.GetType().Name}: {ex.Message})");
            if (job is not null)
            {
                await ((Task)job).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            throw;
        }
        finally
        {
            if (job is null)
            {
                File.Delete(path);
            }
        }

        if (job is null)
        {
            return Problems.BadRequest("The body is empty: send the list file as the request body.");
        }

        if (!job.IsCompleted && (runAsync == true || length > options.AsyncListImportBytes))
        {
            // Large: answered once received (the import may be partly done, uncommitted); it runs on, stopped (and rolled
            // back) only by the server stopping.
            await Task.WhenAny(job, spool.Opened).ConfigureAwait(false);
            if (!job.IsCompleted && await importer.GetAsync(request.Id, cancellationToken).ConfigureAwait(false) is { } started)
            {
                return TypedResults.Accepted($"/api/v1/lists/{Uri.EscapeDataString(name)}/imports/{started.Id}", ImportJobResponse.From(started));
            }
        }

        ListImportRecord done;
        try
        {
            done = await job.ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            // The list name (checked before anything is recorded).
            return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
        }

        if (done.State != ListImportState.Succeeded)
        {
            return Problems.BadRequest("The list file could not be imported; nothing was added.", done.Errors);
        }

        if (done.Imported > 0)
        {
            await store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, cancellationToken).ConfigureAwait(false);
        }

        return TypedResults.Ok(new ImportResponse(name, done.Format ?? "", done.RecordsRead, done.Imported, done.Invalid, done.Errors)
        {
            Skipped = done.Skipped,
            Warnings = done.Warnings,
        });
    }

    /// <summary>
    /// Copies the body to the spool's file as it arrives (straight from Kestrel's buffers, one flush per read), publishing
    /// each flushed length to the import, started (<paramref name="start"/>) with the first bytes. Stops early when the
    /// import already ended (it failed: nothing more is needed). Returns the bytes received.
    /// </summary>
    private static async Task<long> ReceiveAsync(HttpContext context, UploadSpool spool, long maxBytes,
        Func<Task<ListImportRecord>> start, CancellationToken cancellationToken)
    {
        Task<ListImportRecord>? job = null;
        long length = 0;
        var body = context.Request.BodyReader;
        var file = new FileStream(spool.Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, 1 << 20);
        await using (file.ConfigureAwait(false))
        {
            long published = 0;
            while (true)
            {
                // Published (flushed, and the import woken) in pieces of 1 MiB, or of 64 KiB and up when nothing more has
                // arrived yet: Kestrel hands the body over in a few kB at a time, and a write and a wake-up for each
                // would cost more than the copy.
                if (!body.TryRead(out var result))
                {
                    if (length - published >= 1 << 16 && job is not null)
                    {
                        published = Publish(file, spool, length);
                    }

                    result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
                }

                var buffer = result.Buffer;
                if (length + buffer.Length > maxBytes)
                {
                    throw RequestProblemException.TooLarge($"The list file is larger than {maxBytes} bytes.");
                }

                foreach (var segment in buffer)
                {
                    file.Write(segment.Span);
                }

                length += buffer.Length;
                body.AdvanceTo(buffer.End);
                if (length > 0 && job is null)
                {
                    published = Publish(file, spool, length);
                    job = start();
                }
                else if (length - published >= 1 << 20)
                {
                    published = Publish(file, spool, length);
                }

                if (job is { IsCompleted: true } || result.IsCompleted)
                {
                    break;
                }
            }

            file.Flush();
        }

        spool.Complete(length);
        return length;
    }

    private static async Task<IResult> GetImportAsync(string name, Guid id, ListImporter importer, CancellationToken cancellationToken) =>
        await importer.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } record && string.Equals(record.ListName, name, StringComparison.Ordinal)
            ? Results.Ok(ImportJobResponse.From(record))
            : Problems.NotFound($"No import {id} into list '{Problems.Echo(name)}'.");

    private static IResult Export(string name, string? format, HashListService host)
    {
        var formatName = format ?? "needle";
        if (!HashListFormats.Default.TryGet(formatName, out var writer))
        {
            return Problems.BadRequest($"Unknown format '{Problems.Echo(formatName)}'.", [$"format must be one of {FormatNames()}, vics-1.3"]);
        }

        if (host.FindList(name) is not { } list)
        {
            return NoList(name);
        }

        using var stream = new MemoryStream();
        try
        {
            writer.Write(list, stream);
        }
        catch (NotSupportedException ex)
        {
            return Problems.BadRequest($"The list cannot be written as {formatName}: {ex.Message}");
        }

        var extension = writer.Name switch { "csv" => "csv", "text" => "txt", "needle" or "vics" or "stopncii" => "json", _ => "dat" };
        return TypedResults.File(stream.ToArray(), writer.Name == "csv" ? "text/csv" : "application/octet-stream", $"{name}.{extension}");
    }

    private static long Publish(FileStream file, UploadSpool spool, long length)
    {
        file.Flush();
        spool.Grow(length);
        return length;
    }

    private static string FormatNames() => string.Join(", ", HashListFormats.Default.Formats.Select(static f => f.Name));
}
