namespace Needle.Core.Reports;

/// <summary>Who reports: a platform (electronic service provider), a hotline, a member of the public.</summary>
public sealed record Reporter
{
    public string? Organisation { get; init; }

    public string? Name { get; init; }

    public string? Email { get; init; }

    public string? Phone { get; init; }
}
