using System.Text.Json;
using Needle.Core.Audit;
using Needle.Core.Clues;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Matching.Lists;

namespace Needle.Storage.Tests.Contracts;

/// <summary>Benign test reports: made-up people, random bytes standing for encrypted media.</summary>
public static class TestData
{
    public static readonly Guid SubmitterKey = Guid.Parse("0b8f7a55-1c3e-4a8d-9f10-2a5e6c7d8e9f");

    private static readonly JsonSerializerOptions CompareJson = new(JsonSerializerDefaults.Web);

    /// <summary>A submission with every field set.</summary>
    public static ReportSubmission FullSubmission(string externalId = "esp-4711", bool escalate = true) => new()
    {
        ExternalId = externalId,
        IncidentType = "child-pornography",
        IncidentTime = new DateTimeOffset(2026, 3, 1, 12, 30, 15, TimeSpan.FromHours(2)).AddTicks(1234),
        Reporter = new Reporter { Organisation = "Example Platform", Name = "Trust & Safety", Email = "tns@example.org", Phone = "+49 30 1234567" },
        ReportedPerson = new ReportedPerson
        {
            Name = "Test Person",
            ScreenNames = ["user_one", "üser-twö"],
            Emails = ["someone@example.net"],
            Phones = ["+1 555 0100"],
            EspUserIds = ["u-123", "u-456"],
            IpCaptureEvents = [new IpCaptureEvent("192.0.2.10", "upload", new DateTimeOffset(2026, 2, 28, 8, 0, 0, TimeSpan.Zero)), new IpCaptureEvent("2001:db8::1", null, null)],
            DeviceIds = ["device-abc"],
        },
        Description = "Line one\nline \"two\" with ünïcode ✓",
        Escalate = escalate,
        EscalationReason = escalate ? "imminent danger (test)" : null,
        Files =
        [
            new SubmittedFile { Part = "file0", OriginalName = "a.jpg", Hashes = new ReporterHashes { Md5 = new string('a', 32), Sha1 = new string('b', 40) } },
            new SubmittedFile { Part = "file1", OriginalName = "b.png" },
            new SubmittedFile
            {
                OriginalName = "only-hashes.gif",
                Hashes = new ReporterHashes { Md5 = new string('c', 32), Sha1 = new string('d', 40), Sha256 = new string('e', 64), Pdq = new string('f', 64), PhotoDna = Convert.ToBase64String(new byte[144]) },
            },
        ],
    };

    /// <summary>A report whose files follow <paramref name="submission"/>: media for files with a part, hashes only otherwise.</summary>
    public static NewReport Report(
        DateTimeOffset receivedAt,
        ReportSubmission? submission = null,
        Guid? submittedBy = null,
        string? idempotencyKey = null,
        int mediaSize = 256)
    {
        submission ??= FullSubmission();
        var files = submission.Files
            .Select((file, ordinal) => new NewFile(
                Guid.NewGuid(),
                ordinal,
                file.OriginalName,
                file.Part is null ? null : "image/" + Path.GetExtension(file.OriginalName ?? ".bin").TrimStart('.'),
                file.Part is null ? 0 : mediaSize,
                file.Part is null ? null : RandomBytes(mediaSize),
                file.Hashes))
            .ToList();
        return new NewReport(Guid.NewGuid(), submission, submittedBy ?? SubmitterKey, idempotencyKey, receivedAt, files);
    }

    /// <summary>A small report: <paramref name="files"/> files with media, nothing else.</summary>
    public static NewReport SmallReport(DateTimeOffset receivedAt, bool escalate = false, int files = 2, int mediaSize = 64, Guid? submittedBy = null, string? idempotencyKey = null)
    {
        var submission = new ReportSubmission
        {
            ExternalId = "small",
            Escalate = escalate,
            Files = [.. Enumerable.Range(0, files).Select(i => new SubmittedFile { Part = "file" + i, OriginalName = $"f{i}.jpg" })],
        };
        return Report(receivedAt, submission, submittedBy, idempotencyKey, mediaSize);
    }

    public static AuditEntryDraft SubmitAudit(NewReport report) =>
        new(report.SubmittedBy.ToString(), "report.submit", $"report/{report.Id}", $$"""{"files":{{report.Files.Count}}}""", "192.0.2.1");

    /// <summary>An admin action's audit entry, as a key calling from 192.0.2.1 would make it.</summary>
    public static AuditEntryDraft AdminAudit(string action, string target = "list/t", string? details = null) =>
        new("admin-key", action, target, details, "192.0.2.1");

    /// <summary>The audit entry of an entries import, naming the ids the store assigned.</summary>
    public static AuditEntryDraft EntriesAudit(IReadOnlyList<HashListEntry> stored) =>
        AdminAudit("list.entries.add", details: $$"""{"count":{{stored.Count}},"ids":[{{string.Join(',', stored.Select(e => e.Id))}}]}""");

    public static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Records holding lists compare by reference: compare their JSON instead.</summary>
    public static string Json<T>(T value) => JsonSerializer.Serialize(value, CompareJson);

    public static StoredMatch Match(string list, int entryId = 1, bool allowList = false, double distance = 0) =>
        new(list, entryId, "label-" + entryId, "A1", "md5", new string('a', 32), distance, "identity", allowList);

    /// <summary>Results for every file of <paramref name="report"/>: hashed, with <paramref name="matches"/> on the first file.</summary>
    public static IReadOnlyList<FileResult> Results(NewReport report, params StoredMatch[] matches) =>
        [.. report.Files.Select((file, i) => new FileResult
        {
            FileId = file.Id,
            State = file.EncryptedMedia is null ? FileState.HashesOnly : FileState.Hashed,
            Md5 = new string('1', 32),
            Sha1 = new string('2', 40),
            Sha256 = new string('3', 64),
            Pdq = file.EncryptedMedia is null ? null : new string('4', 64),
            PdqQuality = file.EncryptedMedia is null ? null : 87,
            Width = file.EncryptedMedia is null ? null : 640,
            Height = file.EncryptedMedia is null ? null : 480,
            Format = file.EncryptedMedia is null ? null : "jpeg",
            Matches = i == 0 ? matches : [],
        })];

    /// <summary>Clues with every field set (a made-up camera in Lyon).</summary>
    public static FileClues FullClues() => new()
    {
        Gps = new GpsClue(45.764, 4.8357, 173.5, new DateTimeOffset(2024, 6, 15, 8, 20, 30, TimeSpan.Zero), "FR", "France", "FR-ARA", "Auvergne-Rhône-Alpes"),
        Captured = "2024-06-15T10:20:30+02:00",
        CapturedHasOffset = true,
        CameraMake = "TestCam",
        CameraModel = "Model X",
        BodySerialNumber = "SN-0001",
        LensModel = "50mm",
        LensSerialNumber = "LN-0002",
        Software = "Firmware 1.0",
        ImageUniqueId = "0123456789abcdef",
        Names = [new NameClue("exif:artist", "Test Artist"), new NameClue("xmp:creator", "Zoë Example")],
        Thumbnail = new ThumbnailClue(1234, new string('a', 64), 90, 120, true, null),
        MetadataError = "partly unreadable (test)",
    };

    /// <summary>A decision with evidence of both kinds.</summary>
    public static ReportJurisdiction Jurisdiction(string queue, string? country, string? region = null, Guid? fileId = null) => new()
    {
        Country = country,
        Region = region,
        Queue = queue,
        Agency = queue + " agency",
        Basis = country is null ? "none" : "gps",
        Rule = country ?? "default",
        Conflicts = country is null ? [] : ["NL"],
        Evidence = country is null
            ? []
            :
            [
                new JurisdictionEvidence { Kind = "gps", FileId = fileId ?? Guid.NewGuid(), OriginalName = "a.jpg", Lat = 45.764, Lon = 4.8357, Country = country, Region = region },
                new JurisdictionEvidence
                {
                    Kind = "ip", Event = "upload", Ip = "193.0.6.139", At = new DateTimeOffset(2026, 2, 28, 8, 0, 0, TimeSpan.FromHours(1)),
                    Country = "NL", Network = "193.0.0.0/21", Database = "geo-whois-asn-country 2026-06-17",
                },
                new JurisdictionEvidence { Kind = "ip", Event = "login", Ip = "not an address", Note = "not an IP address" },
            ],
    };
}
