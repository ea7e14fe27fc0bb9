using System.Globalization;
using System.Text;
using System.Text.Json;
using Needle.Application.Exchanges;
using Needle.Application.Lists;
using Needle.Application.Triage;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Matching.Lists;

namespace Needle.Application.Review;

/// <summary>
/// False positives on shared lists: a reviewer marks a file's match as wrong, the entry's value goes to the allow list
/// (<see cref="ScoringOptions.FalsePositiveList"/>, created on first use) with where it came from, and from then on it
/// no longer matches (the matcher lets an allow-list hit override a known-list hit). The feedback on one provider's list
/// is exported from that allow list. Every step is audited.
/// </summary>
public sealed class FalsePositiveService : IDisposable
{
    private readonly INeedleStore _store;
    private readonly HashListService _matchers;
    private readonly ScoringOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly ExchangeFeedbackService? _feedback;

    /// <summary>A false-positive service over <paramref name="store"/>.</summary>
    /// <param name="store">Where files are read, audit entries written and rescoring enqueued.</param>
    /// <param name="matchers">The lists, including the allow list false positives go to.</param>
    /// <param name="options">The allow list's name (<see cref="ScoringOptions.FalsePositiveList"/>; validated here).</param>
    /// <param name="time">The clock for when a false positive was marked.</param>
    /// <param name="feedback">Queues the negative feedback for a match of an exchange-fed list (null: none is given).</param>
    public FalsePositiveService(INeedleStore store, HashListService matchers, ScoringOptions options, TimeProvider time, ExchangeFeedbackService? feedback = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _matchers = matchers;
        _options = options.Validated();
        _time = time;
        _feedback = feedback;
    }

    /// <summary>Marks the file's match against <paramref name="listName"/>'s entry <paramref name="entryId"/> as a false positive; returns the allow-list entry (the existing one when marked before).</summary>
    /// <exception cref="FileNotFoundInStoreException">No such file.</exception>
    /// <exception cref="ListNotFoundException">No such list.</exception>
    /// <exception cref="ListEntryNotFoundException">No such entry, or the file did not match it.</exception>
    /// <exception cref="ArgumentException">The list is not a known list.</exception>
    public async Task<HashListEntry> MarkAsync(Guid fileId, string listName, int entryId, string? note, string reviewer, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        ArgumentException.ThrowIfNullOrWhiteSpace(reviewer);
        var file = await _store.Reports.GetFileAsync(fileId, cancellationToken).ConfigureAwait(false) ?? throw new FileNotFoundInStoreException(fileId);
        var list = _matchers.FindList(listName) ?? throw new ListNotFoundException(listName);
        if (list.Kind != HashListKind.Known)
        {
            throw new ArgumentException($"The list '{listName}' is an allow list: only matches of known lists can be false positives.", nameof(listName));
        }

        if (!list.TryGet(entryId, out var entry))
        {
            throw new ListEntryNotFoundException($"There is no entry {entryId} in list '{listName}'.");
        }

        if (!file.Matches.Any(m => !m.AllowList && m.EntryId == entryId && string.Equals(m.ListName, listName, StringComparison.Ordinal)))
        {
            throw new ListEntryNotFoundException($"File {fileId} did not match entry {entryId} of list '{listName}'.");
        }

        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var sourceEntryId = entryId.ToString(CultureInfo.InvariantCulture);
        HashListEntry allowed;
        bool addedNow;
        await _writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var allowList = await DecisionService.EnsureListAsync(_matchers, _options.FalsePositiveList, HashListKind.Allow, reviewer, remoteAddress, cancellationToken).ConfigureAwait(false);
            var existing = allowList.Entries.FirstOrDefault(e =>
                e.SignalType == entry.SignalType && string.Equals(e.Value, entry.Value, StringComparison.Ordinal) &&
                e.Metadata.GetValueOrDefault("sourceList") == listName && e.Metadata.GetValueOrDefault("sourceEntryId") == sourceEntryId);
            if (existing is not null)
            {
                if (!existing.Enabled)
                {
                    await _matchers.SetEntryEnabledAsync(allowList.Name, existing.Id, true, reviewer, remoteAddress, cancellationToken).ConfigureAwait(false);
                    existing = existing with { Enabled = true };
                }

                allowed = existing;
                addedNow = false;
            }
            else
            {
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["sourceList"] = listName,
                    ["sourceEntryId"] = sourceEntryId,
                    ["fileId"] = fileId.ToString(),
                    ["reviewer"] = reviewer,
                    ["at"] = _time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture),
                };
                if (entry.Label is { } label)
                {
                    metadata["sourceLabel"] = label;
                }

                if (note is not null)
                {
                    metadata["note"] = note;
                }

                var added = await _matchers.AddEntriesAsync(allowList.Name,
                    [new HashListEntry(entry.SignalType, entry.Value) { Label = $"false-positive:{listName}/{entryId}", Source = "feedback", Metadata = metadata }],
                    reviewer, remoteAddress, cancellationToken).ConfigureAwait(false);
                allowed = added[0];
                addedNow = true;
            }
        }
        finally
        {
            _writes.Release();
        }

        var details = JsonSerializer.Serialize(new MarkAuditDetails(listName, entryId, entry.SignalType.Name, entry.Value, allowed.Id, addedNow, note), DocumentJson.Options);
        await _store.Audit.AppendAsync(new AuditEntryDraft(reviewer, "match.false-positive", $"file/{fileId}", details, remoteAddress), cancellationToken).ConfigureAwait(false);
        await _store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, cancellationToken).ConfigureAwait(false);
        if (_feedback is not null)
        {
            await _feedback.OnFalsePositiveAsync(file, listName, entryId, reviewer, remoteAddress, cancellationToken).ConfigureAwait(false);
        }

        return allowed;
    }

    /// <summary>The false positives reported against <paramref name="sourceList"/>, oldest first.</summary>
    public IReadOnlyList<FalsePositiveFeedback> Feedback(string sourceList)
    {
        ArgumentNullException.ThrowIfNull(sourceList);
        if (_matchers.FindList(_options.FalsePositiveList) is not { } allowList)
        {
            return [];
        }

        var rows = new List<FalsePositiveFeedback>();
        foreach (var entry in allowList.Entries.OrderBy(static e => e.Id))
        {
            var m = entry.Metadata;
            if (m.GetValueOrDefault("sourceList") == sourceList)
            {
                rows.Add(new FalsePositiveFeedback(sourceList, m.GetValueOrDefault("sourceEntryId") ?? string.Empty, entry.SignalType.Name, entry.Value,
                    m.GetValueOrDefault("sourceLabel"), m.GetValueOrDefault("fileId"), m.GetValueOrDefault("note"), m.GetValueOrDefault("reviewer"),
                    m.GetValueOrDefault("at"), entry.Id, entry.Enabled));
            }
        }

        return rows;
    }

    /// <summary>The feedback as CSV (a header, one row per false positive; RFC 4180 quoting).</summary>
    public static string ToCsv(IReadOnlyList<FalsePositiveFeedback> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var csv = new StringBuilder("source_list,source_entry_id,signal_type,value,source_label,file_id,note,reviewer,at,enabled\n");
        foreach (var r in rows)
        {
            csv.AppendJoin(',', [Csv(r.SourceList), Csv(r.SourceEntryId), Csv(r.SignalType), Csv(r.Value), Csv(r.SourceLabel), Csv(r.FileId), Csv(r.Note),
                Csv(r.Reviewer), Csv(r.At), r.Enabled ? "true" : "false"]).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>The feedback as JSON lines (one object per false positive).</summary>
    public static string ToJsonLines(IReadOnlyList<FalsePositiveFeedback> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var lines = new StringBuilder();
        foreach (var r in rows)
        {
            lines.Append(JsonSerializer.Serialize(r, DocumentJson.Options)).Append('\n');
        }

        return lines.ToString();
    }

    private static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        // A leading =, +, - or @ would run as a formula in a spreadsheet the provider opens.
        if (value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    private sealed record MarkAuditDetails(string List, int EntryId, string SignalType, string Value, int AllowEntryId, bool Added, string? Note);

    /// <summary>Releases the lock that serialises this service's list writes.</summary>
    public void Dispose() => _writes.Dispose();
}
