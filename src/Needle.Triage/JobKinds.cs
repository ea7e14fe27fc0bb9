namespace Needle.Triage;

/// <summary>The kinds of job in <see cref="IJobQueue"/>, shared by the storage backends that enqueue them and the workers that run them.</summary>
public static class JobKinds
{
    /// <summary>Hash and match every file of a report (subject: the report id); enqueued by <see cref="IReportStore.SubmitAsync"/>.</summary>
    public const string ProcessReport = "process-report";
}
