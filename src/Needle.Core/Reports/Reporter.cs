namespace Needle.Core.Reports;

/// <summary>Who reports: a platform (electronic service provider), a hotline, a member of the public.</summary>
public sealed record Reporter
{
    /// <summary>The platform or hotline reporting, if any.</summary>
    public string? Organisation { get; init; }

    /// <summary>The contact person's name.</summary>
    public string? Name { get; init; }

    /// <summary>The contact email address.</summary>
    public string? Email { get; init; }

    /// <summary>The contact phone number.</summary>
    public string? Phone { get; init; }
}
