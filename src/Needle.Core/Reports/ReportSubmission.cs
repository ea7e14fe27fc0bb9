namespace Needle.Core.Reports;

/// <summary>
/// A report as submitted, following NCMEC's CyberTipline model where it fits. Stored as given (as JSON) next to the
/// columns Needle queries on, so fields added later are never lost.
/// </summary>
public sealed record ReportSubmission
{
    /// <summary>The submitter's own id for the report, if any (echoed back, searchable).</summary>
    public string? ExternalId { get; init; }

    /// <summary>CyberTipline incident type, e.g. "child-pornography", "online-enticement", "child-sex-trafficking".</summary>
    public string? IncidentType { get; init; }

    /// <summary>When the incident happened or was detected, as the reporter says.</summary>
    public DateTimeOffset? IncidentTime { get; init; }

    /// <summary>Who reports; null when not given.</summary>
    public Reporter? Reporter { get; init; }

    /// <summary>The person or account reported; null when not given.</summary>
    public ReportedPerson? ReportedPerson { get; init; }

    /// <summary>Free text from the reporter.</summary>
    public string? Description { get; init; }

    /// <summary>The reporter believes a child may be in imminent danger.</summary>
    public bool Escalate { get; init; }

    /// <summary>Why the reporter asks for escalation, in their words.</summary>
    public string? EscalationReason { get; init; }

    /// <summary>Files of the report: their media come as multipart parts (matched by <see cref="SubmittedFile.Part"/>), or only their hashes.</summary>
    public IReadOnlyList<SubmittedFile> Files { get; init; } = [];
}
