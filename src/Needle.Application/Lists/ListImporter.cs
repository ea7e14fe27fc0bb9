using System.Collections.Concurrent;
using System.Text.Json;
using Needle.Core.Lists;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Application.Lists;

/// <summary>
/// Imports list files at disk speed: the file is parsed as a stream and each valid entry goes straight into the
/// store's bulk load (one transaction: all of the import or none of it, and audited once), then into the live list in
/// one batch. An import runs here and now (<see cref="RunAsync"/>) or in the background (<see cref="StartAsync"/>); either
/// way it is recorded (<see cref="ListImportRecord"/>) with its progress, readable while it runs
/// (<see cref="GetAsync"/>). A process killed mid-import leaves nothing of it (its transaction dies with it); the
/// restarted node marks the record failed (<see cref="FailAbandonedAsync"/>).
/// </summary>
public sealed class ListImporter
{
    /// <summary>Errors kept in the record and the answer (the count covers them all).</summary>
    public const int MaxErrorsShown = 100;

    private readonly HashListService _lists;
    private readonly IListStore _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Guid, Live> _running = new();

    /// <summary>An importer writing through <paramref name="lists"/> and recording jobs in <paramref name="store"/>.</summary>
    public ListImporter(HashListService lists, IListStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        _lists = lists;
        _store = store;
        _time = time;
    }

    /// <summary>
    /// Imports now and returns the finished record: succeeded, or failed with the reasons (malformed records named by
    /// number; nothing imported). Only an invalid list name throws (<see cref="ArgumentException"/>), before anything is recorded.
    /// </summary>
    public async Task<ListImportRecord> RunAsync(ListImportRequest request, CancellationToken ct = default)
    {
        var live = await BeginAsync(request, ct).ConfigureAwait(false);
        return await RunLiveAsync(live, request, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Records the import as running and runs it in the background; returns the running record at once (read its
    /// progress with <see cref="GetAsync"/>). <paramref name="stopping"/> cancels it (nothing of it is kept).
    /// </summary>
    public async Task<ListImportRecord> StartAsync(ListImportRequest request, CancellationToken stopping)
    {
        var live = await BeginAsync(request, CancellationToken.None).ConfigureAwait(false);
        _ = Task.Run(() => RunLiveAsync(live, request, stopping), CancellationToken.None);
        return live.Snapshot();
    }

    /// <summary>An import's record: live counts while this process runs it, else as stored; null when unknown.</summary>
    public async Task<ListImportRecord?> GetAsync(Guid id, CancellationToken ct = default) =>
        _running.TryGetValue(id, out var live) ? live.Snapshot() : await _store.GetImportAsync(id, ct).ConfigureAwait(false);

    /// <summary>Marks failed the imports left running by dead processes (see <see cref="IListStore.FailAbandonedImportsAsync"/>).</summary>
    public Task<int> FailAbandonedAsync(Func<string, bool> isAbandoned, CancellationToken ct = default) =>
        _store.FailAbandonedImportsAsync(isAbandoned, "interrupted: the server stopped during the import, and nothing of it was kept; import the file again", ct);

    private async Task<Live> BeginAsync(ListImportRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        HashListService.ValidateListName(request.ListName);
        var live = new Live(new ListImportRecord(request.Id, request.ListName, ListImportState.Running, request.Actor, request.Node, _time.GetUtcNow()) { Format = request.Format });
        await _store.SaveImportAsync(live.Snapshot(), ct).ConfigureAwait(false);
        _running[live.Id] = live;
        return live;
    }

    private async Task<ListImportRecord> RunLiveAsync(Live live, ListImportRequest request, CancellationToken ct)
    {
        ListImportRecord finished;
        try
        {
            finished = await ImportAsync(live, request, ct).ConfigureAwait(false);
        }
        catch (HashListFormatException ex)
        {
            finished = live.Failed(_time.GetUtcNow(), [.. ex.Errors.Select(static e => e.ToString()).DefaultIfEmpty(ex.Message)], ex.ErrorCount);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            finished = live.Failed(_time.GetUtcNow(), ["cancelled (the server stopping, or the client gone) before it committed: nothing of it was kept; import the file again"], null);
        }
#pragma warning disable CA1031 // Whatever failed, the import's record says so (nothing of it was kept) rather than staying "running".
        catch (Exception ex)
#pragma warning restore CA1031
        {
            finished = live.Failed(_time.GetUtcNow(), ["the import failed, and nothing of it was kept: " + ex.Message], null);
        }
        finally
        {
            TryDelete(request.FilePath);
        }

        try
        {
            // A success was saved with the entries, in their transaction; a failure is saved now.
            if (finished.State != ListImportState.Succeeded)
            {
                await _store.SaveImportAsync(finished, CancellationToken.None).ConfigureAwait(false);
            }
        }
        finally
        {
            _running.TryRemove(live.Id, out _);
        }

        return finished;
    }

    private async Task<ListImportRecord> ImportAsync(Live live, ListImportRequest request, CancellationToken ct)
    {
        var options = new ImportOptions
        {
            SkipInvalid = request.SkipInvalid,
            ListName = request.ListName,
            Kind = request.Kind,
            FileName = request.ListName,
            MaxErrorsKept = MaxErrorsShown,
        };

        // A list to create takes its kind and thresholds from the file's header: read up to its first entry.
        StoredList? create = null;
        if (_lists.FindList(request.ListName) is null)
        {
            var header = ReadHeader(request, options);
            create = new StoredList(
                request.ListName,
                request.Kind ?? header.Kind,
                header.HasExplicitThreshold(SignalTypes.Pdq) ? header.GetThreshold(SignalTypes.Pdq) : null,
                header.HasExplicitThreshold(SignalTypes.PhotoDna) ? header.GetThreshold(SignalTypes.PhotoDna) : null,
                _time.GetUtcNow());
        }

        ImportResult? result = null;
        var outcome = await _lists.ImportAsync(
                request.ListName,
                create,
                add =>
                {
                    using var file = OpenRead(request);
                    result = HashListFormats.Default.Read(
                        file,
                        options with
                        {
                            // The entries as bytes: the native format's usual lines never become objects.
                            RowSink = row =>
                            {
                                add(row);
                                live.Added();
                            },
                            Progress = (read, invalid) =>
                            {
                                live.Progress(read, invalid);
                                ct.ThrowIfCancellationRequested();
                            },
                        },
                        request.Format);
                    live.Progress(result.RecordsRead, result.ErrorCount);
                },
                done => JsonSerializer.Serialize(
                    new ImportAuditDetails(live.Id, result?.FormatName, result?.RecordsRead ?? 0, done.Count, result?.ErrorCount ?? 0,
                        done.Count > 0 ? done.FirstEntryId : null, done.Count > 0 ? done.LastEntryId : null),
                    DocumentJson.Options),
                done => live.Succeeded(_time.GetUtcNow(), result!, done.Count),
                request.Actor,
                request.RemoteAddress,
                ct)
            .ConfigureAwait(false);
        return live.Succeeded(_time.GetUtcNow(), result!, outcome.Count);
    }

    private static HashList ReadHeader(ListImportRequest request, ImportOptions options)
    {
        using var file = OpenRead(request);
        HashList? header = null;
        try
        {
            var result = HashListFormats.Default.Read(file, options with { EntrySink = (list, _) => throw new HeaderRead(list) }, request.Format);
            header = result.List;
        }
        catch (HeaderRead read)
        {
            header = read.List;
        }

        return header;
    }

    /// <summary>
    /// The list's bytes: the file, or the upload still arriving (<see cref="ListImportRequest.Upload"/>), decompressed
    /// when gzip (the compressed bytes are what is spooled; the decompressed ones are capped).
    /// </summary>
    private static Stream OpenRead(ListImportRequest request) => CompressedListFile.Open(
        request.Upload?.OpenRead() ?? new FileStream(request.FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan),
        request.Gzip,
        request.MaxDecompressedBytes,
        "The list file");

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
        catch (UnauthorizedAccessException)
        {
            // Left for the temp cleaner.
        }
    }

    private sealed record ImportAuditDetails(Guid Job, string? Format, int RecordsRead, int Imported, int Invalid, int? FirstId, int? LastId);

    /// <summary>Stops the header read at the first entry, with the list as the file described it.</summary>
#pragma warning disable CA1064, CA1032 // Thrown and caught here only, to leave the parser early.
    private sealed class HeaderRead(HashList list) : Exception("header read")
#pragma warning restore CA1064, CA1032
    {
        public HashList List { get; } = list;
    }

    /// <summary>A running import's counts, updated by the parser's thread and read by anyone.</summary>
    private sealed class Live(ListImportRecord start)
    {
        private int _read;
        private int _invalid;
        private int _imported;

        public Guid Id => start.Id;

        public void Added() => Interlocked.Increment(ref _imported);

        public void Progress(int read, int invalid)
        {
            Volatile.Write(ref _read, read);
            Volatile.Write(ref _invalid, invalid);
        }

        public ListImportRecord Snapshot() => start with
        {
            RecordsRead = Volatile.Read(ref _read),
            Invalid = Volatile.Read(ref _invalid),
            Imported = Volatile.Read(ref _imported),
        };

        public ListImportRecord Succeeded(DateTimeOffset at, ImportResult result, int imported) => start with
        {
            State = ListImportState.Succeeded,
            Format = result.FormatName,
            RecordsRead = result.RecordsRead,
            Imported = imported,
            Invalid = result.ErrorCount,
            Errors = [.. result.Errors.Select(static e => e.ToString())],
            Skipped = result.WarningCount,
            Warnings = [.. result.Warnings.Select(static e => e.ToString())],
            FinishedAt = at,
        };

        public ListImportRecord Failed(DateTimeOffset at, IReadOnlyList<string> errors, int? invalid) => Snapshot() with
        {
            State = ListImportState.Failed,
            Imported = 0,
            Invalid = invalid ?? Volatile.Read(ref _invalid),
            Errors = errors,
            FinishedAt = at,
        };
    }
}
