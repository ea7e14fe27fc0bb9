namespace Needle.Core.Jobs;

/// <summary>
/// The order in which jobs are leased: higher priority first, then oldest first. A report's jobs (processing, triage,
/// score) all take the report's priority, so an escalated report overtakes any backlog at every step.
/// </summary>
public static class JobPriority
{
    /// <summary>Every report not marked urgent, and jobs about no report (a rescore of all open reports).</summary>
    public const int Normal = 0;

    /// <summary>A report its reporter escalated (a child in immediate danger): ahead of everything else.</summary>
    public const int Escalated = 100;

    /// <summary>The priority of a report's jobs, from what is known at intake.</summary>
    public static int ForReport(bool escalated) => escalated ? Escalated : Normal;
}
