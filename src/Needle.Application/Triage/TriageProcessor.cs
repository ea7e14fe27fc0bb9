using System.Globalization;
using Needle.Application.Lists;
using Needle.Application.Processing;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Application.Triage;

/// <summary>
/// Runs the triage jobs: <see cref="JobKinds.TriageReport"/> (link a processed report to others, resolve copies of
/// decided files, score it), <see cref="JobKinds.ScoreReport"/> (score again) and
/// <see cref="JobKinds.RescoreOpenReports"/> (ask for every open report to be scored again). Each job's results are
/// stored with its completion, only while its lease is held, so a job run twice has the effect of once. Thread-safe.
/// </summary>
public sealed class TriageProcessor
{
    /// <summary>The actor of decisions applied automatically.</summary>
    public const string SystemActor = "system";

    private const int OpenReportsPage = 500;

    private readonly INeedleStore _store;
    private readonly HashListService _matchers;
    private readonly NearDuplicateMediaIndex _nearDuplicates;
    private readonly ReportPrioritizer _prioritizer;
    private readonly ScoringOptions _options;
    private readonly TimeProvider _time;
    private readonly ProcessorOptions _processing;
    private readonly SimilarMediaIndex? _similar;
    private readonly MirroredFeatureReader? _mirrored;

    /// <summary>A triage processor over <paramref name="store"/>.</summary>
    /// <param name="store">Where reports, decisions and links are read and the outcome written.</param>
    /// <param name="matchers">The lists, to tell known from unknown media.</param>
    /// <param name="nearDuplicates">Finds near-duplicate images in other reports.</param>
    /// <param name="options">Weights, thresholds and limits (validated here).</param>
    /// <param name="time">The clock for scores, links and automatic decisions.</param>
    /// <param name="processing">The lease renewed during long jobs and the retry delay after a failure; null for the defaults.</param>
    /// <param name="similar">The robust tier's descriptor column, to link reports sharing a cropped, rotated or scaled copy; null links none.</param>
    /// <param name="mirrored">Reads a file's mirrored keypoints, so robust links also find mirrored copies; null checks pictures only as they are.</param>
    public TriageProcessor(
        INeedleStore store, HashListService matchers, NearDuplicateMediaIndex nearDuplicates, ScoringOptions options, TimeProvider time, ProcessorOptions? processing = null,
        SimilarMediaIndex? similar = null, MirroredFeatureReader? mirrored = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(nearDuplicates);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _matchers = matchers;
        _nearDuplicates = nearDuplicates;
        _options = options.Validated();
        _prioritizer = new ReportPrioritizer(_options);
        _time = time;
        _processing = processing ?? new ProcessorOptions();
        _similar = similar;
        _mirrored = mirrored;
    }

    /// <summary>Files of other reports shortlisted by descriptor for each file's robust link check.</summary>
    public const int RobustLinkCandidates = 5;

    /// <summary>Descriptor similarity under which a file is not even checked for a robust link.</summary>
    public const double RobustLinkMinSimilarity = 0.5;

    /// <summary>True for the kinds of job this processor runs.</summary>
    public static bool Runs(string kind) =>
        kind is JobKinds.TriageReport or JobKinds.ScoreReport or JobKinds.RescoreOpenReports;

    /// <summary>Runs a leased triage job. Failures release the job for a retry; cancellation releases it too and rethrows.</summary>
    public async Task<ProcessOutcome> ProcessAsync(LeasedJob job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            var completed = job.Kind switch
            {
                JobKinds.TriageReport => await TriageAsync(job, ct).ConfigureAwait(false),
                JobKinds.ScoreReport => await RescoreAsync(job, ct).ConfigureAwait(false),
                JobKinds.RescoreOpenReports => await EnqueueOpenReportsAsync(job, ct).ConfigureAwait(false),
                _ => throw new InvalidOperationException($"Job {job.Id} is of kind '{job.Kind}', which the triage processor does not run."),
            };
            return completed ? ProcessOutcome.Completed : ProcessOutcome.LeaseLost;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            await TryReleaseAsync(job, "cancelled: the worker stopped", TimeSpan.Zero).ConfigureAwait(false);
            throw;
        }
        catch (StorageFullException e)
        {
            // The database's failure, not the job's: retried without counting, so a long outage never parks it.
            await UncountedRelease.ReleaseAsync(_store.Jobs, job, e.Message, _processing.RetryAfter, _processing.Lease, _time, ct).ConfigureAwait(false);
            return ProcessOutcome.Failed;
        }
        catch (Exception e)
        {
            await TryReleaseAsync(job, $"{e.GetType().Name}: {e.Message}", _processing.RetryAfter).ConfigureAwait(false);
            return ProcessOutcome.Failed;
        }
    }

    /// <summary>What triage would store for a report now (links, automatic decisions, score); also used by tests.</summary>
    public async Task<TriageOutcome> ComputeTriageAsync(Guid reportId, CancellationToken ct = default)
    {
        var report = await _store.Reports.GetAsync(reportId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Report {reportId} does not exist.");
        if (report.Status != ReportStatus.Processed)
        {
            throw new InvalidOperationException($"Report {reportId} is not processed yet.");
        }

        var now = _time.GetUtcNow();
        var keys = LinkKeyExtractor.Extract(report);
        var found = keys.Count == 0 ? [] : await _store.Triage.FindSharedKeysAsync(report.Id, keys, _options.MaxLinks, ct).ConfigureAwait(false);
        var links = new List<ReportLink>(found);
        var mediaPairs = new HashSet<(Guid, Guid)>();
        foreach (var link in found)
        {
            if (link is { FileId: { } mine, OtherFileId: { } theirs })
            {
                mediaPairs.Add((mine, theirs));
            }
        }

        foreach (var file in report.Files)
        {
            if (links.Count >= _options.MaxLinks)
            {
                break;
            }

            if (file.PdqQuality is not { } quality || quality < _options.MinimumPdqQuality || !PdqHash.TryParse(file.Pdq, out var pdq))
            {
                continue;
            }

            foreach (var near in await _nearDuplicates.FindAsync(pdq, report.Id, cancellationToken: ct).ConfigureAwait(false))
            {
                // An exact copy is linked by its hash already; a near one only once per pair of files.
                if (links.Count < _options.MaxLinks && mediaPairs.Add((file.Id, near.FileId)))
                {
                    links.Add(new ReportLink(report.Id, near.ReportId, LinkKind.SimilarMedia,
                        string.Create(CultureInfo.InvariantCulture, $"pdq:{near.Distance}"), file.Id, near.FileId, near.Distance, now));
                }
            }
        }

        if (_similar is not null)
        {
            await AddRobustLinksAsync(_similar, report, links, mediaPairs, now, ct).ConfigureAwait(false);
        }

        var decisions = new Dictionary<Guid, FileDecision>(await _store.Triage.GetCurrentDecisionsAsync(report.Id, ct).ConfigureAwait(false));
        var automatic = new List<NewDecision>();
        foreach (var file in report.Files)
        {
            if (decisions.ContainsKey(file.Id) || await AutomaticDecisionAsync(file, now, ct).ConfigureAwait(false) is not { } decision)
            {
                continue;
            }

            automatic.Add(decision);
            decisions[file.Id] = new FileDecision
            {
                Id = 0,
                FileId = file.Id,
                ReportId = report.Id,
                Category = decision.Category,
                Source = decision.Source,
                Actor = decision.Actor,
                At = decision.At,
                BasedOn = decision.BasedOn,
                BasedOnFileId = decision.BasedOnFileId,
                BasedOnReason = decision.BasedOnReason,
            };
        }

        // Only the reported person's links move a score or ask for a rescore; a viral file's media cluster is not read.
        var stored = await _store.Triage.GetPersonLinksAsync(report.Id, ct).ConfigureAwait(false);
        var linkedBefore = new HashSet<Guid>();
        foreach (var link in stored)
        {
            linkedBefore.Add(link.OtherReportId);
        }

        // Only links of the reported person move a score (media links join strangers: see ReportPrioritizer), so a
        // viral file's new copy asks for no other report to be scored again: triage stays flat as copies grow.
        var rescore = new List<Guid>();
        foreach (var link in links)
        {
            if (!IsMedia(link.Kind) && !linkedBefore.Contains(link.OtherReportId) && !rescore.Contains(link.OtherReportId))
            {
                rescore.Add(link.OtherReportId);
            }
        }

        var score = _prioritizer.Score(CurrentView(report), decisions, [.. stored, .. links], now);
        return new TriageOutcome
        {
            ReportId = report.Id,
            Keys = keys,
            Links = links,
            AutomaticDecisions = automatic,
            Score = score,
            RescoreReports = rescore,
        };
    }

    /// <summary>
    /// Links the report to others holding a copy of one of its pictures that the hashes miss (cropped, rotated, scaled,
    /// framed, mirrored): the most similar files by descriptor are checked geometrically (as they are, then mirrored),
    /// and a match is a <see cref="LinkKind.Robust"/> link naming the inliers and the transform. Pairs linked already (same hash, near PDQ) are not checked again.
    /// </summary>
    private async Task AddRobustLinksAsync(SimilarMediaIndex similar, StoredReport report, List<ReportLink> links, HashSet<(Guid, Guid)> mediaPairs, DateTimeOffset now, CancellationToken ct)
    {
        Guid[] own = [report.Id];
        foreach (var file in report.Files)
        {
            if (links.Count >= _options.MaxLinks)
            {
                return;
            }

            if (await similar.GetFeaturesAsync(file.Id, ct).ConfigureAwait(false) is not { } mine)
            {
                continue;
            }

            var local = new Needle.Robust.LocalFeatures(mine.Width, mine.Height, mine.Points, mine.KeypointDescriptors);
            Needle.Robust.LocalFeatures? mirrored = null;
            var mirroredRead = false;
            foreach (var candidate in await similar.FindAsync(mine.Descriptor, own, RobustLinkCandidates, RobustLinkMinSimilarity, ct).ConfigureAwait(false))
            {
                if (links.Count >= _options.MaxLinks || mediaPairs.Contains((file.Id, candidate.FileId)) ||
                    await similar.GetFeaturesAsync(candidate.FileId, ct).ConfigureAwait(false) is not { } theirs)
                {
                    continue;
                }

                var details = Needle.Robust.GeometricVerifier.Verify(local, theirs, similar.Options, queryMirrored: false, candidate.Similarity);
                if (details is null && _mirrored is not null)
                {
                    // As the list-side matcher does: the file seen in a mirror, its keypoints extracted once per file,
                    // only when a shortlisted candidate failed as it is.
                    if (!mirroredRead)
                    {
                        mirrored = await _mirrored.ReadAsync(file.Id, ct).ConfigureAwait(false);
                        mirroredRead = true;
                    }

                    if (mirrored is not null)
                    {
                        details = Needle.Robust.GeometricVerifier.Verify(mirrored, theirs, similar.Options, queryMirrored: true, candidate.Similarity);
                    }
                }

                if (details is not null)
                {
                    mediaPairs.Add((file.Id, candidate.FileId));
                    links.Add(new ReportLink(report.Id, candidate.ReportId, LinkKind.Robust, RobustLinkValue(details), file.Id, candidate.FileId, null, now));
                }
            }
        }
    }

    /// <summary>A robust link's value: <c>robust:inliers=N,</c> and the transform of the other file in this one.</summary>
    internal static string RobustLinkValue(RobustMatchDetails details) =>
        string.Create(CultureInfo.InvariantCulture, $"robust:inliers={details.Inliers},{details.Describe()},similarity={details.Similarity:0.###}");

    /// <summary>The report's score now, from its stored links and decisions and the lists as they are.</summary>
    public async Task<PriorityScore?> ComputeScoreAsync(Guid reportId, CancellationToken ct = default)
    {
        var report = await _store.Reports.GetAsync(reportId, ct).ConfigureAwait(false);
        if (report is null)
        {
            return null;
        }

        var decisions = await _store.Triage.GetCurrentDecisionsAsync(reportId, ct).ConfigureAwait(false);
        var links = await _store.Triage.GetPersonLinksAsync(reportId, ct).ConfigureAwait(false);
        return _prioritizer.Score(CurrentView(report), decisions, links, _time.GetUtcNow());
    }

    private async Task<bool> TriageAsync(LeasedJob job, CancellationToken ct)
    {
        var outcome = await ComputeTriageAsync(job.SubjectId, ct).ConfigureAwait(false);
        return await CompleteTriageAsync(job, outcome, ct).ConfigureAwait(false);
    }

    /// <summary>Stores a triage outcome with the job's completion, then looks once more for reports triaged at the same time.</summary>
    internal async Task<bool> CompleteTriageAsync(LeasedJob job, TriageOutcome outcome, CancellationToken ct)
    {
        if (!await _store.Triage.CompleteTriageAsync(job, outcome, ct).ConfigureAwait(false))
        {
            return false;
        }

        // Two reports sharing a key and triaged at the same time each look before the other's keys are stored, and
        // neither would link. Looking again once ours are stored closes the gap: the later of the two sees the other,
        // and triages again (idempotent: links are never stored twice).
        // What was found when the outcome was computed is stored now; a key found only now was stored meanwhile.
        if (outcome.Keys.Count > 0)
        {
            // A media key is answered by one copy (any: they share a cluster), so it counts as found when it found one.
            var linked = new HashSet<(Guid, LinkKind, string)>();
            foreach (var link in outcome.Links)
            {
                linked.Add(IsMedia(link.Kind) ? (Guid.Empty, link.Kind, link.Value) : (link.OtherReportId, link.Kind, link.Value));
            }

            foreach (var link in await _store.Triage.FindSharedKeysAsync(outcome.ReportId, outcome.Keys, _options.MaxLinks, ct).ConfigureAwait(false))
            {
                if (!linked.Contains(IsMedia(link.Kind) ? (Guid.Empty, link.Kind, link.Value) : (link.OtherReportId, link.Kind, link.Value)))
                {
                    await _store.Jobs.EnqueueAsync(JobKinds.TriageReport, outcome.ReportId, ct).ConfigureAwait(false);
                    break;
                }
            }
        }

        return true;
    }

    private static bool IsMedia(LinkKind kind) => kind is LinkKind.SameMedia or LinkKind.SimilarMedia or LinkKind.Robust;

    private async Task<bool> RescoreAsync(LeasedJob job, CancellationToken ct)
    {
        var score = await ComputeScoreAsync(job.SubjectId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Job {job.Id} names report {job.SubjectId}, which does not exist.");

        // A report not triaged yet (its triage job is still queued) stays out of the review queue until triage has
        // resolved its copies: only its triage moves it on.
        if (await _store.Triage.GetScoreAsync(job.SubjectId, ct).ConfigureAwait(false) is null or { State: ReviewState.Untriaged })
        {
            score = score with { State = ReviewState.Untriaged };
        }

        return await _store.Triage.CompleteScoreAsync(job, job.SubjectId, score, ct).ConfigureAwait(false);
    }

    private async Task<bool> EnqueueOpenReportsAsync(LeasedJob job, CancellationToken ct)
    {
        Guid? after = null;
        while (true)
        {
            var page = await _store.Triage.ListOpenReportsAsync(after, OpenReportsPage, ct).ConfigureAwait(false);
            foreach (var reportId in page)
            {
                await _store.Jobs.EnqueueAsync(JobKinds.ScoreReport, reportId, ct).ConfigureAwait(false);
            }

            if (page.Count < OpenReportsPage)
            {
                break;
            }

            after = page[^1];

            // Enqueueing is idempotent (one pending job per report), so a lost lease only repeats work.
            if (!await _store.Jobs.RenewAsync(job, _processing.Lease, ct).ConfigureAwait(false))
            {
                return false;
            }
        }

        return await _store.Jobs.CompleteAsync(job, ct).ConfigureAwait(false);
    }

    /// <summary>The decision of a decided copy of this file carried over to it, or null when no copy was decided.</summary>
    private async Task<NewDecision?> AutomaticDecisionAsync(StoredFile file, DateTimeOffset now, CancellationToken ct)
    {
        var sha256 = file.Sha256 ?? file.ReporterHashes?.Sha256;
        var md5 = file.Md5 ?? file.ReporterHashes?.Md5;
        var pdq = file.PdqQuality >= _options.MinimumPdqQuality ? file.Pdq : null;
        if (sha256 is null && md5 is null && pdq is null)
        {
            return null;
        }

        var found = await _store.Triage.FindDecisionForMediaAsync(sha256, md5, pdq, file.Id, ct).ConfigureAwait(false);
        if (found is null)
        {
            return null;
        }

        var other = await _store.Reports.GetFileAsync(found.FileId, ct).ConfigureAwait(false);
        return new NewDecision
        {
            FileId = file.Id,
            Category = found.Category,
            Note = $"Same media as file {found.FileId}, already decided",
            Source = DecisionSource.SameHash,
            Actor = SystemActor,
            At = now,
            BasedOn = found.Source == DecisionSource.Analyst ? found.Id : found.BasedOn ?? found.Id,
            BasedOnFileId = found.Source == DecisionSource.Analyst ? found.FileId : found.BasedOnFileId ?? found.FileId,
            BasedOnReason = SameMediaReason(sha256, md5, pdq, other),
        };
    }

    internal static string SameMediaReason(string? sha256, string? md5, string? pdq, StoredFile? other)
    {
        if (other is null)
        {
            return "sha256";
        }

        if (sha256 is not null && string.Equals(sha256, other.Sha256 ?? other.ReporterHashes?.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            return "sha256";
        }

        if (md5 is not null && string.Equals(md5, other.Md5 ?? other.ReporterHashes?.Md5, StringComparison.OrdinalIgnoreCase))
        {
            return "md5";
        }

        return pdq is not null ? "pdq" : "sha256";
    }

    /// <summary>
    /// The report with each file's matches as the lists stand now: a stored match whose entry was disabled or removed
    /// no longer counts, a file now allow-listed (a false positive) counts as allowed, and a file matching a list entry
    /// added since (the organisation's own list) counts as known. Matches found through rotated or flipped copies at
    /// processing time are kept while their entry is enabled (their hashes are not stored).
    /// </summary>
    internal StoredReport CurrentView(StoredReport report)
    {
        var files = new List<StoredFile>(report.Files.Count);
        var changed = false;
        foreach (var file in report.Files)
        {
            var current = CurrentMatches(file);
            changed |= !ReferenceEquals(current, file.Matches);
            files.Add(ReferenceEquals(current, file.Matches) ? file : file with { Matches = current });
        }

        return changed ? report with { Files = files } : report;
    }

    private IReadOnlyList<StoredMatch> CurrentMatches(StoredFile file)
    {
        var signals = new FileSignals
        {
            Pdq = PdqHash.TryParse(file.Pdq, out var pdq) ? pdq : null,
            PdqQuality = file.PdqQuality,
            Md5 = file.Md5 ?? file.ReporterHashes?.Md5,
            Sha1 = file.Sha1 ?? file.ReporterHashes?.Sha1,
            Sha256 = file.Sha256 ?? file.ReporterHashes?.Sha256,
        };
        var now = Signals.ToStoredMatches(_matchers.Match(signals));
        var allowed = false;
        foreach (var match in now)
        {
            allowed |= match.AllowList;
        }

        if (allowed)
        {
            return now;
        }

        var result = new List<StoredMatch>(now);
        foreach (var match in file.Matches)
        {
            if (!match.AllowList && IsEnabled(match) && !result.Exists(m => m.ListName == match.ListName && m.EntryId == match.EntryId))
            {
                result.Add(match);
            }
        }

        return result.Count == file.Matches.Count && SameMatches(result, file.Matches) ? file.Matches : result;
    }

    private bool IsEnabled(StoredMatch match) =>
        _matchers.FindList(match.ListName) is { } list && list.TryGet(match.EntryId, out var entry) && entry.Enabled;

    private static bool SameMatches(List<StoredMatch> a, IReadOnlyList<StoredMatch> b)
    {
        foreach (var match in b)
        {
            if (!a.Exists(m => m.ListName == match.ListName && m.EntryId == match.EntryId && m.AllowList == match.AllowList))
            {
                return false;
            }
        }

        return true;
    }

    private async Task TryReleaseAsync(LeasedJob job, string error, TimeSpan retryAfter)
    {
        try
        {
            await _store.Jobs.ReleaseAsync(job, error, retryAfter, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The original failure matters more; an unreleased job is leased again when its lease ends.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
