namespace Needle.Core.Reports;

/// <summary>An IP address seen for the reported account: at upload, login, registration...</summary>
public sealed record IpCaptureEvent(string Ip, string? EventName, DateTimeOffset? At);
