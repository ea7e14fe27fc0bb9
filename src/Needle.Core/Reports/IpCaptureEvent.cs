namespace Needle.Core.Reports;

/// <summary>An IP address seen for the reported account: at upload, login, registration...</summary>
/// <param name="Ip">The IPv4 or IPv6 address (intake refuses anything else).</param>
/// <param name="EventName">What the account did from it: <c>upload</c>, <c>login</c>, <c>registration</c>...; upload events weigh more in jurisdiction.</param>
/// <param name="At">When, as the reporter says; null when not given.</param>
public sealed record IpCaptureEvent(string Ip, string? EventName, DateTimeOffset? At);
