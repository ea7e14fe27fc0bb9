using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Core.Cases;

/// <summary>
/// A report re-created from another server's export package: stored as processed, with the files' results as
/// exported (matches made against this server's lists), their decision history, notes and outcomes, in one write.
/// </summary>
public sealed record ImportedReport
{
    /// <summary>The report as received: the same id, submission and receipt time as on the exporting server; media encrypted for this server.</summary>
    public required NewReport Report { get; init; }

    /// <summary>When the exporting server processed it.</summary>
    public required DateTimeOffset ProcessedAt { get; init; }

    /// <summary>One result per file of <see cref="Report"/>.</summary>
    public required IReadOnlyList<FileResult> Results { get; init; }

    /// <summary>Where the report belongs, with its evidence, as the exporting server decided.</summary>
    public ReportJurisdiction? Jurisdiction { get; init; }

    /// <summary>Every decision on the report's files, each file's oldest first (revisions are chained again here).</summary>
    public IReadOnlyList<NewDecision> Decisions { get; init; } = [];

    /// <summary>The note thread, oldest first.</summary>
    public IReadOnlyList<ReportNote> Notes { get; init; } = [];

    /// <summary>The outcomes, oldest first.</summary>
    public IReadOnlyList<ReportOutcome> Outcomes { get; init; } = [];
}
