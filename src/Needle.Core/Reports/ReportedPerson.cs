namespace Needle.Core.Reports;

/// <summary>The person or account reported.</summary>
public sealed record ReportedPerson
{
    /// <summary>The person's name, as the reporter gives it.</summary>
    public string? Name { get; init; }

    /// <summary>User names or handles of the account (link keys between reports, compared case-insensitively).</summary>
    public IReadOnlyList<string> ScreenNames { get; init; } = [];

    /// <summary>Email addresses (link keys between reports, compared case-insensitively).</summary>
    public IReadOnlyList<string> Emails { get; init; } = [];

    /// <summary>Phone numbers, as given.</summary>
    public IReadOnlyList<string> Phones { get; init; } = [];

    /// <summary>The platform's own user ids (ESP user id).</summary>
    public IReadOnlyList<string> EspUserIds { get; init; } = [];

    /// <summary>IP addresses seen for the account, with the event and time (link keys, and clues to the jurisdiction).</summary>
    public IReadOnlyList<IpCaptureEvent> IpCaptureEvents { get; init; } = [];

    /// <summary>Device identifiers (link keys between reports, compared case-insensitively).</summary>
    public IReadOnlyList<string> DeviceIds { get; init; } = [];
}
