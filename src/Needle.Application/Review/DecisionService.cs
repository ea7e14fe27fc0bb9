using System.Globalization;
using System.Text.Json;
using Needle.Application.Exchanges;
using Needle.Application.Lists;
using Needle.Application.Triage;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Application.Review;

/// <summary>
/// Records an analyst's decision on a file and closes the loop: the same decision goes to every undecided copy of the
/// file (same SHA-256, MD5 or PDQ) and, when asked, to the near-copies in the report's bundle; a file confirmed as child
/// abuse material that matched no known list goes at once to the organisation's own list (so its next copy matches
/// anywhere), and a revision away from that category disables those entries. Every step is audited.
/// </summary>
public sealed class DecisionService : IDisposable
{
    private readonly INeedleStore _store;
    private readonly HashListService _matchers;
    private readonly ScoringOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _organisationList = new(1, 1);
    private readonly ExchangeFeedbackService? _feedback;

    /// <summary>A decision service over <paramref name="store"/>.</summary>
    /// <param name="store">Where decisions, copies and audit entries are read and written.</param>
    /// <param name="matchers">The lists, for the organisation's own list of confirmed material.</param>
    /// <param name="options">Copy and bundle limits, the near-duplicate distance, the minimum PDQ quality and the organisation list's name (validated here).</param>
    /// <param name="time">The clock for decision times.</param>
    /// <param name="feedback">Queues the decision's feedback to the providers of exchange-fed matches (null: none is given).</param>
    public DecisionService(INeedleStore store, HashListService matchers, ScoringOptions options, TimeProvider time, ExchangeFeedbackService? feedback = null)
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

    /// <summary>
    /// Records <paramref name="actor"/>'s decision on the file (revising its current one, if any) and carries it to the
    /// file's undecided copies and, with <paramref name="applyToBundle"/>, to its near-copies in the report's bundle.
    /// </summary>
    /// <exception cref="FileNotFoundInStoreException">No file has this id.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The category is not one of <see cref="DecisionCategory"/>.</exception>
    public async Task<DecisionResult> DecideAsync(
        Guid fileId, DecisionCategory category, string? note, bool applyToBundle, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (!Enum.IsDefined(category))
        {
            throw new ArgumentOutOfRangeException(nameof(category), category, "Unknown decision category.");
        }

        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var file = await _store.Reports.GetFileAsync(fileId, cancellationToken).ConfigureAwait(false) ?? throw new FileNotFoundInStoreException(fileId);
        var history = await _store.Triage.GetDecisionHistoryAsync(fileId, cancellationToken).ConfigureAwait(false);
        var previous = history.Count > 0 ? history[^1] : null;
        var now = _time.GetUtcNow();

        // The list first: if the decision write fails after it, deciding again finds the entries and adds nothing, so
        // a confirmed file is never left off the list.
        IReadOnlyList<HashListEntry> added = [];
        var disabled = 0;
        if (category == DecisionCategory.ChildAbuseMaterial && !ReportPrioritizer.IsKnown(file))
        {
            added = await AddToOrganisationListAsync(file, actor, remoteAddress, now, cancellationToken).ConfigureAwait(false);
        }
        else if (category != DecisionCategory.ChildAbuseMaterial && previous?.Category == DecisionCategory.ChildAbuseMaterial)
        {
            disabled = await DisableOrganisationEntriesAsync(file.Id, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
        }

        if (added.Count > 0 || disabled > 0)
        {
            await _store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, cancellationToken).ConfigureAwait(false);
        }

        var decision = new NewDecision { FileId = file.Id, Category = category, Note = note, Source = DecisionSource.Analyst, Actor = actor, At = now };
        var details = JsonSerializer.Serialize(
            new DecideAuditDetails((int)category, CategoryName(category), "analyst", previous?.Id, file.ReportId, applyToBundle, added.Count, disabled),
            DocumentJson.Options);
        var stored = await _store.Triage.DecideAsync([decision], new AuditEntryDraft(actor, "file.decide", $"file/{file.Id}", details, remoteAddress), cancellationToken)
            .ConfigureAwait(false);
        var analystDecision = stored.Count > 0 ? stored[0] : throw new InvalidOperationException($"The decision on file {file.Id} was not stored.");

        var carried = await CarryAsync(file, analystDecision, applyToBundle, revision: previous is not null, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
        await QueueFeedbackAsync(file, category, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
        return new DecisionResult(analystDecision, carried, added, disabled);
    }

    /// <summary>
    /// Stores <paramref name="actor"/>'s decision on the file only (audited as <c>file.decide</c>, marked pending): the
    /// copies, the bundle and the organisation's list follow later through <see cref="SpreadAsync"/>, once the undo
    /// window has passed (<see cref="DecisionUndoWindow"/>).
    /// </summary>
    /// <exception cref="FileNotFoundInStoreException">No file has this id.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The category is not one of <see cref="DecisionCategory"/>.</exception>
    public async Task<RecordedDecision> RecordAsync(
        Guid fileId, DecisionCategory category, string? note, bool applyToBundle, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (!Enum.IsDefined(category))
        {
            throw new ArgumentOutOfRangeException(nameof(category), category, "Unknown decision category.");
        }

        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var file = await _store.Reports.GetFileAsync(fileId, cancellationToken).ConfigureAwait(false) ?? throw new FileNotFoundInStoreException(fileId);
        var history = await _store.Triage.GetDecisionHistoryAsync(fileId, cancellationToken).ConfigureAwait(false);
        var previous = history.Count > 0 ? history[^1] : null;
        var decision = new NewDecision { FileId = file.Id, Category = category, Note = note, Source = DecisionSource.Analyst, Actor = actor, At = _time.GetUtcNow() };
        var details = JsonSerializer.Serialize(
            new RecordAuditDetails((int)category, CategoryName(category), "analyst", previous?.Id, file.ReportId, applyToBundle, Pending: true),
            DocumentJson.Options);
        var stored = await _store.Triage.DecideAsync([decision], new AuditEntryDraft(actor, "file.decide", $"file/{file.Id}", details, remoteAddress), cancellationToken)
            .ConfigureAwait(false);
        var analystDecision = stored.Count > 0 ? stored[0] : throw new InvalidOperationException($"The decision on file {file.Id} was not stored.");
        return new RecordedDecision(analystDecision, file, previous, applyToBundle, remoteAddress);
    }

    /// <summary>
    /// Spreads a decision stored by <see cref="RecordAsync"/>: the organisation's list (added or disabled), undecided
    /// copies, near-copies in the bundle when asked, and copies that followed an earlier decision. Nothing is done
    /// (null) when the decision is no longer its file's current one (undone or revised since).
    /// </summary>
    public async Task<DecisionResult?> SpreadAsync(RecordedDecision recorded, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recorded);
        var decision = recorded.Decision;
        var current = await _store.Triage.GetCurrentDecisionsAsync(recorded.File.ReportId, cancellationToken).ConfigureAwait(false);
        if (!current.TryGetValue(decision.FileId, out var now) || now.Id != decision.Id)
        {
            return null;
        }

        IReadOnlyList<HashListEntry> added = [];
        var disabled = 0;
        if (decision.Category == DecisionCategory.ChildAbuseMaterial && !ReportPrioritizer.IsKnown(recorded.File))
        {
            added = await AddToOrganisationListAsync(recorded.File, decision.Actor, recorded.RemoteAddress, decision.At, cancellationToken).ConfigureAwait(false);
        }
        else if (decision.Category != DecisionCategory.ChildAbuseMaterial && recorded.Previous?.Category == DecisionCategory.ChildAbuseMaterial)
        {
            disabled = await DisableOrganisationEntriesAsync(recorded.File.Id, decision.Actor, recorded.RemoteAddress, cancellationToken).ConfigureAwait(false);
        }

        if (added.Count > 0 || disabled > 0)
        {
            await _store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, cancellationToken).ConfigureAwait(false);
        }

        var carried = await CarryAsync(recorded.File, decision, recorded.ApplyToBundle, revision: recorded.Previous is not null, decision.Actor, recorded.RemoteAddress, cancellationToken)
            .ConfigureAwait(false);

        // Past the undo window only: an undone decision never reaches a provider.
        await QueueFeedbackAsync(recorded.File, decision.Category, decision.Actor, recorded.RemoteAddress, cancellationToken).ConfigureAwait(false);
        return new DecisionResult(decision, carried, added, disabled);
    }

    private async Task QueueFeedbackAsync(StoredFile file, DecisionCategory category, string actor, string? remoteAddress, CancellationToken ct)
    {
        if (_feedback is not null)
        {
            await _feedback.OnDecisionAsync(file, category, actor, remoteAddress, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The kebab-case name of a category, as the API speaks it ("child-abuse-material").</summary>
    public static string CategoryName(DecisionCategory category) => category switch
    {
        DecisionCategory.NonPertinent => "non-pertinent",
        DecisionCategory.ChildAbuseMaterial => "child-abuse-material",
        DecisionCategory.ExploitativeOrAgeDifficult => "exploitative-or-age-difficult",
        DecisionCategory.CgiOrAnimation => "cgi-or-animation",
        DecisionCategory.Comparison => "comparison",
        DecisionCategory.NeedsEscalation => "needs-escalation",
        _ => ((int)category).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Reads a category given as its Project VIC number (0-4, 9) or its name (kebab-case, any case; "needs-escalation").</summary>
    public static bool TryParseCategory(string? text, out DecisionCategory category)
    {
        category = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            category = (DecisionCategory)number;
            return Enum.IsDefined(category);
        }

        foreach (var value in Enum.GetValues<DecisionCategory>())
        {
            if (string.Equals(text, CategoryName(value), StringComparison.OrdinalIgnoreCase) ||
                string.Equals(text, value.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                category = value;
                return true;
            }
        }

        return false;
    }

    /// <summary>The analyst decision applied to undecided copies (same hash) and near-copies in the bundle.</summary>
    /// <remarks>
    /// On a <paramref name="revision"/>, the copies that took the earlier decision automatically (same hash or bundle,
    /// based on this file) take the new one too; their reports are in this file's bundle, linked by the shared media.
    /// </remarks>
    private async Task<IReadOnlyList<FileDecision>> CarryAsync(StoredFile file, FileDecision basedOn, bool applyToBundle, bool revision, string actor, string? remoteAddress, CancellationToken ct)
    {
        var pdqText = file.PdqQuality >= _options.MinimumPdqQuality ? file.Pdq : null;
        var sha256 = file.Sha256 ?? file.ReporterHashes?.Sha256;
        var md5 = file.Md5 ?? file.ReporterHashes?.Md5;
        var decisions = new List<NewDecision>();
        var chosen = new HashSet<Guid> { file.Id };
        if (sha256 is not null || md5 is not null || pdqText is not null)
        {
            foreach (var copy in await _store.Triage.FindUndecidedCopiesAsync(sha256, md5, pdqText, file.Id, _options.MaxCopiesPerDecision, ct).ConfigureAwait(false))
            {
                if (chosen.Add(copy.Id))
                {
                    decisions.Add(Carried(copy.Id, basedOn, DecisionSource.SameHash, TriageProcessor.SameMediaReason(sha256, md5, pdqText, copy)));
                }
            }
        }

        var bundleCount = 0;
        var hasPdq = PdqHash.TryParse(pdqText, out var pdq);
        if ((applyToBundle && hasPdq) || revision)
        {
            foreach (var reportId in await _store.Triage.GetBundleAsync(file.ReportId, _options.MaxBundleReports, ct).ConfigureAwait(false))
            {
                var report = await _store.Reports.GetAsync(reportId, ct).ConfigureAwait(false);
                if (report is null)
                {
                    continue;
                }

                var current = await _store.Triage.GetCurrentDecisionsAsync(reportId, ct).ConfigureAwait(false);
                foreach (var other in report.Files)
                {
                    if (current.TryGetValue(other.Id, out var earlier))
                    {
                        // A copy that followed the file's earlier decision follows its revision.
                        if (revision && earlier.Source != DecisionSource.Analyst && earlier.BasedOnFileId == file.Id && earlier.BasedOn != basedOn.Id &&
                            chosen.Add(other.Id))
                        {
                            decisions.Add(Carried(other.Id, basedOn, earlier.Source, earlier.BasedOnReason ?? "revision"));
                            bundleCount += earlier.Source == DecisionSource.Bundle ? 1 : 0;
                        }

                        continue;
                    }

                    if (!applyToBundle || !hasPdq || other.PdqQuality < _options.MinimumPdqQuality || !PdqHash.TryParse(other.Pdq, out var otherPdq))
                    {
                        continue;
                    }

                    var distance = pdq.HammingDistance(otherPdq);
                    if (distance <= _options.NearDuplicateDistance && chosen.Add(other.Id))
                    {
                        decisions.Add(Carried(other.Id, basedOn, DecisionSource.Bundle, string.Create(CultureInfo.InvariantCulture, $"bundle:pdq={distance}")));
                        bundleCount++;
                    }
                }
            }
        }

        if (decisions.Count == 0)
        {
            return [];
        }

        var details = JsonSerializer.Serialize(
            new CarryAuditDetails((int)basedOn.Category, CategoryName(basedOn.Category), basedOn.Id, decisions.Count - bundleCount, bundleCount),
            DocumentJson.Options);
        return await _store.Triage.DecideAsync(decisions, new AuditEntryDraft(actor, "file.decide.carry", $"file/{file.Id}", details, remoteAddress), ct)
            .ConfigureAwait(false);
    }

    private NewDecision Carried(Guid fileId, FileDecision basedOn, DecisionSource source, string reason) => new()
    {
        FileId = fileId,
        Category = basedOn.Category,
        Note = basedOn.Note,
        Source = source,
        Actor = basedOn.Actor,
        At = _time.GetUtcNow(),
        BasedOn = basedOn.Id,
        BasedOnFileId = basedOn.FileId,
        BasedOnReason = reason,
    };

    /// <summary>Adds the file's hashes to the organisation's list, skipping those it holds already for this file (enabling them again if disabled).</summary>
    private async Task<IReadOnlyList<HashListEntry>> AddToOrganisationListAsync(StoredFile file, string actor, string? remoteAddress, DateTimeOffset now, CancellationToken ct)
    {
        var label = file.Id.ToString();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["report"] = file.ReportId.ToString(),
            ["file"] = label,
            ["actor"] = actor,
            ["confirmedAt"] = now.ToString("O", CultureInfo.InvariantCulture),
        };
        var wanted = new List<HashListEntry>(3);
        if (file.PdqQuality >= _options.MinimumPdqQuality && file.Pdq is { } pdq && SignalTypes.Pdq.TryNormalize(pdq, out var pdqValue, out _))
        {
            wanted.Add(new HashListEntry(SignalTypes.Pdq, pdqValue) { Label = label, Category = "1", Source = "needle-decision", Metadata = metadata });
        }

        if ((file.Md5 ?? file.ReporterHashes?.Md5) is { } md5 && SignalTypes.Md5.TryNormalize(md5, out var md5Value, out _))
        {
            wanted.Add(new HashListEntry(SignalTypes.Md5, md5Value) { Label = label, Category = "1", Source = "needle-decision", Metadata = metadata });
        }

        if ((file.Sha256 ?? file.ReporterHashes?.Sha256) is { } sha256 && SignalTypes.Sha256.TryNormalize(sha256, out var sha256Value, out _))
        {
            wanted.Add(new HashListEntry(SignalTypes.Sha256, sha256Value) { Label = label, Category = "1", Source = "needle-decision", Metadata = metadata });
        }

        if (wanted.Count == 0)
        {
            return [];
        }

        await _organisationList.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var list = await EnsureListAsync(_matchers, _options.OrganisationList, HashListKind.Known, actor, remoteAddress, ct).ConfigureAwait(false);
            var result = new List<HashListEntry>();
            var missing = new List<HashListEntry>();
            foreach (var entry in wanted)
            {
                var existing = list.Entries.FirstOrDefault(e =>
                    string.Equals(e.Label, label, StringComparison.Ordinal) && e.SignalType == entry.SignalType && string.Equals(e.Value, entry.Value, StringComparison.Ordinal));
                if (existing is null)
                {
                    missing.Add(entry);
                }
                else if (!existing.Enabled)
                {
                    await _matchers.SetEntryEnabledAsync(list.Name, existing.Id, true, actor, remoteAddress, ct).ConfigureAwait(false);
                    result.Add(existing with { Enabled = true });
                }
            }

            if (missing.Count > 0)
            {
                result.AddRange(await _matchers.AddEntriesAsync(list.Name, missing, actor, remoteAddress, ct).ConfigureAwait(false));
            }

            return result;
        }
        finally
        {
            _organisationList.Release();
        }
    }

    private async Task<int> DisableOrganisationEntriesAsync(Guid fileId, string actor, string? remoteAddress, CancellationToken ct)
    {
        if (_matchers.FindList(_options.OrganisationList) is not { } list)
        {
            return 0;
        }

        var label = fileId.ToString();
        var disabled = 0;
        foreach (var entry in list.Entries.Where(e => e.Enabled && string.Equals(e.Label, label, StringComparison.Ordinal)).ToList())
        {
            if (await _matchers.SetEntryEnabledAsync(list.Name, entry.Id, false, actor, remoteAddress, ct).ConfigureAwait(false))
            {
                disabled++;
            }
        }

        return disabled;
    }

    /// <summary>The list, created (audited) when it does not exist yet.</summary>
    internal static async Task<HashList> EnsureListAsync(HashListService matchers, string name, HashListKind kind, string actor, string? remoteAddress, CancellationToken ct)
    {
        if (matchers.FindList(name) is { } list)
        {
            return list.Kind == kind
                ? list
                : throw new InvalidOperationException($"The list '{name}' exists as a {list.Kind} list; triage needs it to be a {kind} list.");
        }

        try
        {
            return await matchers.CreateListAsync(name, kind, null, actor, remoteAddress, ct).ConfigureAwait(false);
        }
        catch (ListAlreadyExistsException)
        {
            return matchers.FindList(name) ?? throw new ListNotFoundException(name);
        }
    }

    private sealed record DecideAuditDetails(
        int Category, string CategoryName, string Source, long? Revises, Guid Report, bool ApplyToBundle, int OrganisationListAdded, int OrganisationListDisabled);

    private sealed record RecordAuditDetails(int Category, string CategoryName, string Source, long? Revises, Guid Report, bool ApplyToBundle, bool Pending);

    private sealed record CarryAuditDetails(int Category, string CategoryName, long BasedOn, int Copies, int Bundle);

    /// <summary>Releases the lock that serialises this service's list writes.</summary>
    public void Dispose() => _organisationList.Dispose();
}
