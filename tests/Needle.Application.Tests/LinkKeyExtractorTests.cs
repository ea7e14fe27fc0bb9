using Needle.Application.Triage;
using Needle.Core.Clues;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Application.Tests;

public sealed class LinkKeyExtractorTests
{
    [Fact]
    public void KeysAreNormalisedDedupedAndEmptyValuesLeftOut()
    {
        var reportId = Guid.NewGuid();
        var fileId = Guid.NewGuid();
        var report = new StoredReport
        {
            Id = reportId,
            Status = ReportStatus.Processed,
            ReceivedAt = DateTimeOffset.UnixEpoch,
            SubmittedBy = Guid.NewGuid(),
            Submission = new ReportSubmission
            {
                ReportedPerson = new ReportedPerson
                {
                    ScreenNames = [" Sunny_Days ", "sunny_days", ""],
                    Emails = ["Someone@Example.ORG", "  "],
                    EspUserIds = [" 12345 "],
                    IpCaptureEvents = [new IpCaptureEvent("::ffff:192.0.2.10", "upload", null), new IpCaptureEvent("2001:0db8:0000:0000:0000:0000:0000:0001", "login", null), new IpCaptureEvent("not an ip", null, null)],
                    DeviceIds = ["ABC-1"],
                },
            },
            Files =
            [
                new StoredFile
                {
                    Id = fileId,
                    ReportId = reportId,
                    Ordinal = 0,
                    State = FileState.Hashed,
                    Sha256 = "AABB",
                    Md5 = "CCDD",
                    Clues = new FileClues { CameraMake = "Canon", BodySerialNumber = " 0123456 " },
                },
                new StoredFile { Id = Guid.NewGuid(), ReportId = reportId, Ordinal = 1, State = FileState.Hashed, Clues = new FileClues { BodySerialNumber = "0000000" } },
            ],
        };

        var keys = LinkKeyExtractor.Extract(report);

        Assert.Equal(
            [
                new LinkKey(LinkKind.ScreenName, "sunny_days", null),
                new LinkKey(LinkKind.Email, "someone@example.org", null),
                new LinkKey(LinkKind.EspUserId, "12345", null),
                new LinkKey(LinkKind.IpAddress, "192.0.2.10", null),
                new LinkKey(LinkKind.IpAddress, "2001:db8::1", null),
                new LinkKey(LinkKind.DeviceId, "abc-1", null),
                new LinkKey(LinkKind.SameMedia, "sha256:aabb", fileId),
                new LinkKey(LinkKind.SameMedia, "md5:ccdd", fileId),
                new LinkKey(LinkKind.CameraSerial, "canon/0123456", fileId),
            ],
            keys);
    }
}
