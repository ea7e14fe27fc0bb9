namespace Needle.Core.Reports;

/// <summary>Where a report is in its life.</summary>
public enum ReportStatus
{
    /// <summary>Stored durably; waiting for its processing job.</summary>
    Received = 0,

    /// <summary>Every file hashed (or marked unreadable) and matched.</summary>
    Processed = 1,
}
