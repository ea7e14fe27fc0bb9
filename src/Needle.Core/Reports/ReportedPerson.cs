namespace Needle.Core.Reports;

/// <summary>The person or account reported.</summary>
public sealed record ReportedPerson
{
    public string? Name { get; init; }

    public IReadOnlyList<string> ScreenNames { get; init; } = [];

    public IReadOnlyList<string> Emails { get; init; } = [];

    public IReadOnlyList<string> Phones { get; init; } = [];

    /// <summary>The platform's own user ids (ESP user id).</summary>
    public IReadOnlyList<string> EspUserIds { get; init; } = [];

    public IReadOnlyList<IpCaptureEvent> IpCaptureEvents { get; init; } = [];

    public IReadOnlyList<string> DeviceIds { get; init; } = [];
}
