using System.Text.Json;
using Needle.Core.Audit;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Core.Triage;

namespace Needle.Application.Review;

/// <summary>
/// Analysts' decisions with an undo: a decision is stored on its file at once (the page shows it decided), but spreads
/// to copies in other reports, the bundle and the organisation's list only when its undo window has passed. Until then
/// its analyst can take it back (<see cref="UndoAsync"/>), and nothing has spread. The windows run on the injected
/// clock; at shutdown (<see cref="DisposeAsync"/>) every pending decision spreads at once, so none is left unspread by
/// an orderly stop.
/// </summary>
public sealed class DecisionUndoWindow : IAsyncDisposable
{
    private readonly DecisionService _decisions;
    private readonly INeedleStore _store;
    private readonly TimeProvider _time;
    private readonly Action<Exception>? _spreadFailed;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Entry> _pending = [];
    private readonly List<Task> _running = [];

    /// <summary>An undo window of <paramref name="window"/> over <paramref name="decisions"/>.</summary>
    /// <param name="decisions">Records and spreads the decisions.</param>
    /// <param name="store">Where an undo is written.</param>
    /// <param name="time">The clock of the windows.</param>
    /// <param name="window">How long a decision can be undone before it spreads; zero spreads at once (no undo).</param>
    /// <param name="spreadFailed">Told when a spread fails (the decision stays stored; its copies stay undecided).</param>
    public DecisionUndoWindow(DecisionService decisions, INeedleStore store, TimeProvider time, TimeSpan window, Action<Exception>? spreadFailed = null)
    {
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        _decisions = decisions;
        _store = store;
        _time = time;
        Window = window;
        _spreadFailed = spreadFailed;
    }

    /// <summary>How long a decision can be undone.</summary>
    public TimeSpan Window { get; }

    /// <summary>Stores the decision now and schedules its spread at the end of the window (see <see cref="DecisionService.RecordAsync"/>).</summary>
    /// <exception cref="FileNotFoundInStoreException">No file has this id.</exception>
    public async Task<PendingDecision> DecideAsync(
        Guid fileId, DecisionCategory category, string? note, bool applyToBundle, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        var recorded = await _decisions.RecordAsync(fileId, category, note, applyToBundle, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
        var pending = new PendingDecision(recorded.Decision.Id, recorded.File.Id, recorded.File.ReportId, actor, category, _time.GetUtcNow() + Window);
        if (Window == TimeSpan.Zero)
        {
            await SpreadAsync(recorded).ConfigureAwait(false);
            return pending;
        }

        lock (_lock)
        {
            var entry = new Entry(recorded, pending);
            _pending[pending.DecisionId] = entry;
            entry.Timer = _time.CreateTimer(Due, pending.DecisionId, Window, Timeout.InfiniteTimeSpan);
        }

        return pending;
    }

    /// <summary>The decisions of <paramref name="actor"/> on <paramref name="reportId"/> still inside their window, oldest first.</summary>
    public IReadOnlyList<PendingDecision> PendingFor(Guid reportId, string actor)
    {
        lock (_lock)
        {
            return [.. _pending.Values.Select(static e => e.Pending).Where(p => p.ReportId == reportId && p.Actor == actor).OrderBy(static p => p.DecisionId)];
        }
    }

    /// <summary>
    /// Takes back <paramref name="actor"/>'s decision while its window is open: the file's previous decision (or none)
    /// is current again, audited as <c>file.decide.undo</c>, and nothing spreads. Null when the decision is not pending
    /// for this actor (its window has passed, or someone else made it).
    /// </summary>
    public async Task<UndoneDecision?> UndoAsync(long decisionId, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        Entry? entry;
        lock (_lock)
        {
            if (!_pending.TryGetValue(decisionId, out entry) || entry.Pending.Actor != actor)
            {
                return null;
            }

            _pending.Remove(decisionId);
            entry.Timer?.Dispose();
        }

        var pending = entry.Pending;
        var details = JsonSerializer.Serialize(new UndoAuditDetails(decisionId, pending.ReportId, (int)pending.Category, entry.Recorded.Previous?.Id), DocumentJson.Options);
        var (undone, restored) = await _store.Triage.UndoDecisionAsync(decisionId,
            new AuditEntryDraft(actor, "file.decide.undo", $"file/{pending.FileId}", details, remoteAddress), cancellationToken).ConfigureAwait(false);
        if (!undone)
        {
            // Revised meanwhile (or already gone): the decision now current spreads as its own.
            return null;
        }

        return new UndoneDecision(decisionId, pending.FileId, restored);
    }

    /// <summary>Spreads every pending decision now (without waiting for its window) and waits for every spread running.</summary>
    public async Task FlushAsync()
    {
        List<Entry> due;
        lock (_lock)
        {
            due = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (var entry in due)
        {
            entry.Timer?.Dispose();
            Track(SpreadAsync(entry.Recorded));
        }

        await WhenIdleAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until no spread is running (the ones whose windows ended).</summary>
    public async Task WhenIdleAsync()
    {
        while (true)
        {
            Task[] running;
            lock (_lock)
            {
                _running.RemoveAll(static t => t.IsCompleted);
                running = [.. _running];
            }

            if (running.Length == 0)
            {
                return;
            }

            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    /// <summary>Spreads what is pending and waits for it: nothing decided is left unspread by an orderly stop.</summary>
    public async ValueTask DisposeAsync() => await FlushAsync().ConfigureAwait(false);

    private void Due(object? state)
    {
        var id = (long)state!;
        Entry? entry;
        lock (_lock)
        {
            if (!_pending.Remove(id, out entry))
            {
                return;
            }
        }

        entry.Timer?.Dispose();
        Track(SpreadAsync(entry.Recorded));
    }

    private void Track(Task task)
    {
        lock (_lock)
        {
            _running.Add(task);
        }
    }

    private async Task SpreadAsync(RecordedDecision recorded)
    {
        try
        {
            await _decisions.SpreadAsync(recorded, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The decision itself is stored; only its copies stay undecided. The host logs it.
            _spreadFailed?.Invoke(ex);
        }
    }

    private sealed class Entry(RecordedDecision recorded, PendingDecision pending)
    {
        public RecordedDecision Recorded { get; } = recorded;

        public PendingDecision Pending { get; } = pending;

        public ITimer? Timer { get; set; }
    }

    private sealed record UndoAuditDetails(long Decision, Guid Report, int Category, long? Restores);
}
