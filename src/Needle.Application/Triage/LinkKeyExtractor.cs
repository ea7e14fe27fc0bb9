using System.Net;
using System.Net.Sockets;
using Needle.Core.Clues;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Application.Triage;

/// <summary>
/// The keys a report can share with others: the reported person's accounts, addresses and devices from the submission,
/// and each file's media hashes and camera serial. Values are normalised so the same thing written two ways is one key:
/// trimmed; emails and screen names lower-cased; IPs in canonical form (an IPv4-mapped IPv6 address as IPv4); hashes
/// lower-case hex. Empty values, unparsable IPs and placeholder serials are left out; duplicates are returned once.
/// </summary>
public static class LinkKeyExtractor
{
    /// <summary>The report's keys: the reported person's first, then each file's, in file order; each once.</summary>
    public static IReadOnlyList<LinkKey> Extract(StoredReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var keys = new List<LinkKey>();
        var seen = new HashSet<LinkKey>();
        void Add(LinkKind kind, string? value, Guid? fileId)
        {
            if (!string.IsNullOrEmpty(value))
            {
                var key = new LinkKey(kind, value, fileId);
                if (seen.Add(key))
                {
                    keys.Add(key);
                }
            }
        }

        if (report.Submission.ReportedPerson is { } person)
        {
            foreach (var name in person.ScreenNames ?? [])
            {
                Add(LinkKind.ScreenName, Lower(name), null);
            }

            foreach (var email in person.Emails ?? [])
            {
                Add(LinkKind.Email, Lower(email), null);
            }

            foreach (var id in person.EspUserIds ?? [])
            {
                Add(LinkKind.EspUserId, id?.Trim(), null);
            }

            foreach (var capture in person.IpCaptureEvents ?? [])
            {
                Add(LinkKind.IpAddress, CanonicalIp(capture?.Ip), null);
            }

            foreach (var device in person.DeviceIds ?? [])
            {
                Add(LinkKind.DeviceId, Lower(device), null);
            }
        }

        foreach (var file in report.Files)
        {
            var sha256 = Hex(file.Sha256 ?? file.ReporterHashes?.Sha256);
            var md5 = Hex(file.Md5 ?? file.ReporterHashes?.Md5);
            Add(LinkKind.SameMedia, sha256 is null ? null : "sha256:" + sha256, file.Id);
            Add(LinkKind.SameMedia, md5 is null ? null : "md5:" + md5, file.Id);
            Add(LinkKind.CameraSerial, CameraSerial(file.Clues), file.Id);
        }

        return keys;
    }

    /// <summary>The canonical text of an IP address, or null when it is not one.</summary>
    public static string? CanonicalIp(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || !IPAddress.TryParse(text.Trim(), out var address))
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        // Drop an IPv6 zone ("%eth0"): it names the observer's interface, not the address.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0)
        {
            address = new IPAddress(address.GetAddressBytes());
        }

        return address.ToString();
    }

    private static string? Lower(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim().ToLowerInvariant();

    private static string? Hex(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim().ToLowerInvariant();

    /// <summary>The body serial, prefixed with the make when known (serials are only unique per maker); null for placeholders like "0000000".</summary>
    private static string? CameraSerial(FileClues? clues)
    {
        var serial = clues?.BodySerialNumber?.Trim();
        if (string.IsNullOrEmpty(serial) || serial.AsSpan().IndexOfAnyExcept('0', ' ') < 0)
        {
            return null;
        }

        var make = clues!.CameraMake?.Trim().ToLowerInvariant();
        return string.IsNullOrEmpty(make) ? serial : $"{make}/{serial}";
    }
}
