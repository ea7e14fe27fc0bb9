using System.Globalization;
using Needle.Core.Clues;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Application.Triage;

/// <summary>
/// Scores a report for the review queue, explaining every point: pure and deterministic (same inputs, same score, same
/// reasons in the same order), so a score can be recomputed at any time and compared. The weights come from
/// <see cref="ScoringOptions"/>.
/// </summary>
/// <param name="options">The weights (validated here).</param>
public sealed class ReportPrioritizer(ScoringOptions options)
{
    /// <summary>Reason code: the reporter escalated the report.</summary>
    public const string Escalated = "escalated";
    /// <summary>Reason code: a file's current decision is "needs escalation".</summary>
    public const string NeedsEscalation = "needs-escalation";
    /// <summary>Reason code: files matching nothing known (possibly new material).</summary>
    public const string UnknownMedia = "unknown-media";
    /// <summary>Reason code: files nobody can assess (hashes only, undecodable media, PDQ quality under the minimum).</summary>
    public const string Unassessable = "unassessable";
    /// <summary>Reason code: files matching a known list.</summary>
    public const string KnownMedia = "known-media";
    /// <summary>Reason code: files carrying a GPS position.</summary>
    public const string GpsLocation = "gps-location";
    /// <summary>Reason code: an IP address of the reported person resolves to a country.</summary>
    public const string IpLocation = "ip-location";
    /// <summary>Reason code: files captured shortly before the report arrived.</summary>
    public const string RecentCapture = "recent-capture";
    /// <summary>Reason code: the reported person is linked to other reports (account, address, device or camera).</summary>
    public const string LinkedReports = "linked-reports";
    /// <summary>Reason code: the report has more than one file.</summary>
    public const string ManyFiles = "many-files";
    /// <summary>Reason code: known material only, every file already decided; closed as informational.</summary>
    public const string InformationalOnly = "informational";

    private readonly ScoringOptions _options = (options ?? throw new ArgumentNullException(nameof(options))).Validated();

    /// <summary>The report's score, its reasons in a fixed order, and its review state.</summary>
    /// <param name="report">The report as stored (processed: its files carry their matches and clues).</param>
    /// <param name="decisions">The current decision of each decided file, by file id.</param>
    /// <param name="links">The report's links to other reports.</param>
    /// <param name="now">When the score is computed.</param>
    public PriorityScore Score(StoredReport report, IReadOnlyDictionary<Guid, FileDecision> decisions, IReadOnlyList<ReportLink> links, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(decisions);
        ArgumentNullException.ThrowIfNull(links);
        var o = _options;
        var reasons = new List<ScoreReason>();

        if (report.Submission.Escalate)
        {
            var why = string.IsNullOrWhiteSpace(report.Submission.EscalationReason) ? string.Empty : $": {report.Submission.EscalationReason.Trim()}";
            reasons.Add(new ScoreReason(Escalated, $"The reporter escalated it (a child may be in imminent danger){why}", o.Escalated));
        }

        int unknown = 0, unassessable = 0, known = 0, needsEscalation = 0, decided = 0, byAnalyst = 0, gps = 0, recent = 0;
        foreach (var file in report.Files)
        {
            var decision = decisions.GetValueOrDefault(file.Id);
            if (decision is not null)
            {
                decided++;
                if (decision.Category == DecisionCategory.NeedsEscalation)
                {
                    needsEscalation++;
                }

                if (decision.Source != DecisionSource.SameHash)
                {
                    byAnalyst++;
                }
            }

            if (IsKnown(file))
            {
                known++;
            }
            else if (IsUnassessable(file, decision, o.MinimumPdqQuality))
            {
                unassessable++;
            }
            else if (IsUnknown(file, decision))
            {
                unknown++;
            }

            if (file.Clues?.Gps is not null)
            {
                gps++;
            }

            if (IsRecent(file.Clues, report.ReceivedAt))
            {
                recent++;
            }
        }

        if (needsEscalation > 0)
        {
            reasons.Add(new ScoreReason(NeedsEscalation, $"{Files(needsEscalation)} decided as needing escalation", o.NeedsEscalationDecision));
        }

        if (unknown > 0)
        {
            // A series scores by its size, sublinearly but without a cap: log2 adds extraUnknownFile per doubling, so
            // 24 unknown files always outweigh 3 (a cap let a 3-file report with a GPS clue outrank a 24-file album).
            reasons.Add(new ScoreReason(UnknownMedia, $"{Files(unknown)} {(unknown == 1 ? "matches" : "match")} nothing known (possibly new material)",
                o.FirstUnknownFile + (Math.Log2(unknown) * o.ExtraUnknownFile)) { Files = unknown });
        }

        if (unassessable > 0)
        {
            reasons.Add(new ScoreReason(Unassessable,
                string.Create(CultureInfo.InvariantCulture,
                    $"{Files(unassessable)} cannot be assessed (hashes only, media that does not decode, or PDQ quality under {o.MinimumPdqQuality}): unassessable, not known to be new"),
                o.Unassessable) { Files = unassessable });
        }

        if (known > 0)
        {
            reasons.Add(new ScoreReason(KnownMedia, $"{Files(known)} {(known == 1 ? "matches" : "match")} a known list", o.KnownMedia));
        }

        if (gps > 0)
        {
            reasons.Add(new ScoreReason(GpsLocation, $"{Files(gps)} {(gps == 1 ? "carries" : "carry")} a GPS position", o.GpsLocation));
        }

        if (PlacedIpCountries(report.Jurisdiction) is { Count: > 0 } countries)
        {
            reasons.Add(new ScoreReason(IpLocation, $"An IP address of the reported person resolves to {string.Join(", ", countries)}", o.IpLocation));
        }

        if (recent > 0)
        {
            reasons.Add(new ScoreReason(RecentCapture,
                string.Create(CultureInfo.InvariantCulture, $"{Files(recent)} captured within {o.RecentCaptureDays} days before the report"), o.RecentCapture));
        }

        var linked = LinkedByPerson(links);
        if (linked > 0)
        {
            reasons.Add(new ScoreReason(LinkedReports,
                $"The reported person is linked to {linked} other report{(linked == 1 ? string.Empty : "s")} (account, address, device or camera)",
                Math.Min(linked, o.MaxLinkedReports) * o.LinkedReport));
        }

        if (report.Files.Count > 1 && o.ExtraFile != 0)
        {
            reasons.Add(new ScoreReason(ManyFiles, $"{report.Files.Count} files", Math.Min(report.Files.Count - 1, o.MaxExtraFiles) * o.ExtraFile));
        }

        var state = StateOf(report, decided, byAnalyst, needsEscalation);
        if (state == ReviewState.Informational)
        {
            reasons.Add(new ScoreReason(InformationalOnly, "Known material only, every file already decided: closed as informational", o.Informational));
        }

        double value = 0;
        foreach (var reason in reasons)
        {
            value += reason.Weight;
        }

        return new PriorityScore(value, reasons, state, now);
    }

    /// <summary>A file matching an enabled known-list entry (and not overridden by an allow list, which the stored matches say).</summary>
    internal static bool IsKnown(StoredFile file)
    {
        foreach (var match in file.Matches)
        {
            if (!match.AllowList)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// An undecided file matching nothing that nobody can assess: only hashes were reported (nothing to look at, nothing
    /// to match by likeness), its media does not decode, or its PDQ quality is under <paramref name="minimumPdqQuality"/>
    /// (the list matcher skipped its PDQ and every flip and rotation of it, so "matches nothing" says nothing).
    /// </summary>
    internal static bool IsUnassessable(StoredFile file, FileDecision? decision, int minimumPdqQuality)
    {
        if (decision is not null || file.State == FileState.Pending || file.Matches.Count > 0)
        {
            return false;
        }

        // No media here (hashes only, or a file imported without its media): nothing to look at.
        return file.State is FileState.HashesOnly or FileState.Unreadable
            || !file.HasMedia
            || (file.PdqQuality is { } quality && quality < minimumPdqQuality);
    }

    /// <summary>Media matching nothing: not on a known list, not allow-listed, not resolved as a copy of a decided file, not decided harmless.</summary>
    internal static bool IsUnknown(StoredFile file, FileDecision? decision)
    {
        if (file.State == FileState.Pending || file.Matches.Count > 0)
        {
            return false;
        }

        if (file.State == FileState.HashesOnly && file.ReporterHashes is null)
        {
            return false;
        }

        return decision is null || (decision.Source == DecisionSource.Analyst && decision.Category != DecisionCategory.NonPertinent);
    }

    private static ReviewState StateOf(StoredReport report, int decided, int byAnalyst, int needsEscalation)
    {
        if (report.Status != ReportStatus.Processed)
        {
            return ReviewState.Untriaged;
        }

        if (report.Files.Count == 0 || decided < report.Files.Count || needsEscalation > 0)
        {
            return ReviewState.AwaitingReview;
        }

        if (byAnalyst > 0)
        {
            return ReviewState.Reviewed;
        }

        // Every file was resolved as a copy of one decided before. An escalated report is never closed unseen.
        return report.Submission.Escalate ? ReviewState.AwaitingReview : ReviewState.Informational;
    }

    private bool IsRecent(FileClues? clues, DateTimeOffset receivedAt)
    {
        if (clues?.Captured is not { } text ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var captured))
        {
            return false;
        }

        // A day of slack after receipt for a capture time recorded without its offset.
        var age = receivedAt - captured;
        return age >= TimeSpan.FromDays(-1) && age <= TimeSpan.FromDays(_options.RecentCaptureDays);
    }

    private static List<string>? PlacedIpCountries(ReportJurisdiction? jurisdiction)
    {
        if (jurisdiction is null)
        {
            return null;
        }

        List<string>? countries = null;
        foreach (var evidence in jurisdiction.Evidence)
        {
            if (string.Equals(evidence.Kind, "ip", StringComparison.Ordinal) && evidence.Country is { } country)
            {
                countries ??= [];
                if (!countries.Contains(country, StringComparer.Ordinal))
                {
                    countries.Add(country);
                }
            }
        }

        return countries;
    }

    /// <summary>Other reports sharing something of the reported person (not media: viral content links strangers).</summary>
    private static int LinkedByPerson(IReadOnlyList<ReportLink> links)
    {
        var others = new HashSet<Guid>();
        foreach (var link in links)
        {
            if (link.Kind is not (LinkKind.SameMedia or LinkKind.SimilarMedia or LinkKind.Robust))
            {
                others.Add(link.OtherReportId);
            }
        }

        return others.Count;
    }

    private static string Files(int count) => count == 1 ? "1 file" : string.Create(CultureInfo.InvariantCulture, $"{count} files");
}
