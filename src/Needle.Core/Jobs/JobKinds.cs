using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Storage;

namespace Needle.Core.Jobs;

/// <summary>The kinds of job in <see cref="IJobQueue"/>, shared by the storage backends that enqueue them and the workers that run them.</summary>
public static class JobKinds
{
    /// <summary>Hash and match every file of a report (subject: the report id); enqueued by <see cref="IReportStore.SubmitAsync"/>.</summary>
    public const string ProcessReport = "process-report";

    /// <summary>
    /// Link, auto-decide and score a processed report (subject: the report id); enqueued by
    /// <see cref="IJobQueue.CompleteReportAsync(LeasedJob, IReadOnlyList{FileResult}, ReportJurisdiction?, CancellationToken)"/>
    /// in the same transaction, so every processed report is triaged.
    /// </summary>
    public const string TriageReport = "triage-report";

    /// <summary>Recompute one report's score (subject: the report id): a decision, a new linked report or a list change touched it.</summary>
    public const string ScoreReport = "score-report";

    /// <summary>Rescore every open report after a list change (subject: <see cref="Guid.Empty"/>); at most one pending.</summary>
    public const string RescoreOpenReports = "rescore-open-reports";

    /// <summary>Fetch an exchange's changes into its list (subject: the exchange id); at most one pending per exchange.</summary>
    public const string FetchExchange = "fetch-exchange";

    /// <summary>Send the due feedback to exchange providers (subject: <see cref="Guid.Empty"/>); at most one pending.</summary>
    public const string SendExchangeFeedback = "send-exchange-feedback";
}
