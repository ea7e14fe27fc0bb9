namespace Needle.Core.Jurisdiction;

/// <summary>One location clue of a report.</summary>
public sealed record JurisdictionEvidence
{
    /// <summary><c>gps</c> (a file's EXIF position) or <c>ip</c> (an IP capture event of the reported person).</summary>
    public required string Kind { get; init; }

    /// <summary>GPS: the file.</summary>
    public Guid? FileId { get; init; }

    /// <summary>GPS: the file's name as submitted.</summary>
    public string? OriginalName { get; init; }

    /// <summary>GPS: latitude in signed decimal degrees (WGS 84).</summary>
    public double? Lat { get; init; }

    /// <summary>GPS: longitude in signed decimal degrees (WGS 84).</summary>
    public double? Lon { get; init; }

    /// <summary>IP: the capture event's name (upload, login...).</summary>
    public string? Event { get; init; }

    /// <summary>IP: the address as the reporter gave it.</summary>
    public string? Ip { get; init; }

    /// <summary>IP: when the address was seen, as the reporter says; null when not given.</summary>
    public DateTimeOffset? At { get; init; }

    /// <summary>IP: the database network holding the address.</summary>
    public string? Network { get; init; }

    /// <summary>IP: the database and its build date, e.g. <c>geo-whois-asn-country 2026-06-17</c>.</summary>
    public string? Database { get; init; }

    /// <summary>ISO 3166-1 alpha-2; null when the clue could not be placed (at sea, private address, no data).</summary>
    public string? Country { get; init; }

    /// <summary>GPS: ISO 3166-2 first-level subdivision (e.g. <c>FR-ARA</c>) when known; IP clues are placed in a country only.</summary>
    public string? Region { get; init; }

    /// <summary>Why the clue could not be placed.</summary>
    public string? Note { get; init; }
}
