namespace Needle.Application.Intake;

/// <summary>Limits applied to a submission.</summary>
public sealed record IntakeOptions
{
    /// <summary>Most files in one report (described files and media parts together).</summary>
    public int MaxFiles { get; init; } = 1000;

    /// <summary>Largest media part, in bytes.</summary>
    public long MaxFileBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>Largest sum of media bytes in one report.</summary>
    public long MaxTotalBytes { get; init; } = 4L * 1024 * 1024 * 1024;

    /// <summary>Longest escalation reason, in characters.</summary>
    public int MaxEscalationReasonLength { get; init; } = 4_000;

    /// <summary>Longest description, in characters.</summary>
    public int MaxDescriptionLength { get; init; } = 100_000;

    /// <summary>Longest short text: external id, names, e-mails, screen names, content types, idempotency keys.</summary>
    public int MaxShortTextLength { get; init; } = 1_000;

    /// <summary>Most entries in each list of the reported person (screen names, e-mails, IPs, ...).</summary>
    public int MaxListItems { get; init; } = 1_000;

    /// <summary>Where accepted reports are counted; null counts nothing.</summary>
    public Telemetry.NeedleMetrics? Metrics { get; init; }
}
