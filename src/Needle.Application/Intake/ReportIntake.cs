using System.Net;
using System.Text.Json;
using Needle.Application.Media;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Intake;

/// <summary>
/// Takes a report in: validates it against its media parts, chooses ids, encrypts every media part under its file id,
/// and stores report, files, media, job and audit entry in one store transaction.
/// </summary>
public sealed class ReportIntake
{
    private readonly INeedleStore _store;
    private readonly MediaProtector _protector;
    private readonly TimeProvider _time;
    private readonly IntakeOptions _options;

    /// <summary>An intake storing into <paramref name="store"/>.</summary>
    /// <param name="store">Where reports, files, media, jobs and audit entries go.</param>
    /// <param name="protector">Encrypts each media part under its file id.</param>
    /// <param name="time">The clock for ids and receipt times.</param>
    /// <param name="options">The limits a submission must keep.</param>
    public ReportIntake(INeedleStore store, MediaProtector protector, TimeProvider time, IntakeOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _protector = protector;
        _time = time;
        _options = options;
    }

    /// <summary>
    /// Validates and stores a report. Media parts the JSON does not describe are added as files named after the part.
    /// A repeated <paramref name="idempotencyKey"/> (same submitting key) stores nothing and returns the earlier report
    /// with <see cref="SubmitResult.Created"/> false.
    /// </summary>
    /// <exception cref="ReportValidationException">The submission is invalid; nothing was stored.</exception>
    public async Task<SubmitResult> SubmitAsync(ReportSubmission submission, IReadOnlyList<IncomingMedia> media, Guid submittedBy,
        string? idempotencyKey, string? remoteAddress, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(media);
        var (files, mediaByFile) = Validate(submission, media, idempotencyKey);

        var now = _time.GetUtcNow();
        var reportId = Guid.CreateVersion7(now);
        var newFiles = new NewFile[files.Count];
        long totalBytes = 0;
        var lane = JobLane.General;
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            var fileId = Guid.CreateVersion7(now);
            var part = mediaByFile[i];
            byte[]? encrypted = null;
            if (part is not null)
            {
                encrypted = _protector.Protect(part.Bytes, fileId);
                totalBytes += part.Bytes.Length;

                // The same test the processor makes on the same bytes: a report it will hash a video of goes to the video lane.
                if (VideoFiles.LooksLikeVideo(part.Bytes.AsSpan(0, Math.Min(part.Bytes.Length, 512))))
                {
                    lane = JobLane.Video;
                }
            }

            newFiles[i] = new NewFile(
                fileId,
                i,
                file.OriginalName ?? part?.FileName ?? part?.PartName,
                part?.ContentType,
                part?.Bytes.LongLength ?? 0,
                encrypted,
                NormalizeHashes(file.Hashes));
        }

        // The stored submission lists every file, described or not, so Files[i] is the file with ordinal i.
        var stored = submission with { Files = files };
        var report = new NewReport(reportId, stored, submittedBy, idempotencyKey, now, newFiles) { Lane = lane };
        var details = JsonSerializer.Serialize(
            new SubmitAuditDetails(files.Count, newFiles.Count(static f => f.EncryptedMedia is not null), totalBytes, submission.Escalate),
            DocumentJson.Options);
        var audit = new AuditEntryDraft(submittedBy.ToString(), "report.submit", $"report/{reportId}", details, remoteAddress);
        using var activity = _options.Metrics?.Source.StartActivity("needle.intake.submit");
        activity?.SetTag("needle.files", files.Count);
        activity?.SetTag("needle.lane", JobLane.Name(lane));
        var result = await _store.Reports.SubmitAsync(report, audit, ct).ConfigureAwait(false);
        if (result.Created)
        {
            _options.Metrics?.ReportReceived(submission.Escalate, files.Count);
        }

        return result;
    }

    /// <summary>Checks everything and returns the full file list with each file's media part (null for hashes only).</summary>
    private (List<SubmittedFile> Files, List<IncomingMedia?> Media) Validate(ReportSubmission submission, IReadOnlyList<IncomingMedia> media, string? idempotencyKey)
    {
        var errors = new List<string>();
        var o = _options;
        CheckLength(errors, "idempotency key", idempotencyKey, o.MaxShortTextLength);
        CheckLength(errors, "externalId", submission.ExternalId, o.MaxShortTextLength);
        CheckLength(errors, "incidentType", submission.IncidentType, o.MaxShortTextLength);
        CheckLength(errors, "description", submission.Description, o.MaxDescriptionLength);
        CheckLength(errors, "escalationReason", submission.EscalationReason, o.MaxEscalationReasonLength);
        if (submission.Reporter is { } reporter)
        {
            CheckLength(errors, "reporter.organisation", reporter.Organisation, o.MaxShortTextLength);
            CheckLength(errors, "reporter.name", reporter.Name, o.MaxShortTextLength);
            CheckLength(errors, "reporter.email", reporter.Email, o.MaxShortTextLength);
            CheckLength(errors, "reporter.phone", reporter.Phone, o.MaxShortTextLength);
        }

        if (submission.ReportedPerson is { } person)
        {
            CheckLength(errors, "reportedPerson.name", person.Name, o.MaxShortTextLength);
            CheckItems(errors, "reportedPerson.screenNames", person.ScreenNames);
            CheckItems(errors, "reportedPerson.emails", person.Emails);
            CheckItems(errors, "reportedPerson.phones", person.Phones);
            CheckItems(errors, "reportedPerson.espUserIds", person.EspUserIds);
            CheckItems(errors, "reportedPerson.deviceIds", person.DeviceIds);
            var events = person.IpCaptureEvents ?? [];
            if (events.Count > o.MaxListItems)
            {
                errors.Add($"reportedPerson.ipCaptureEvents has {events.Count} items; at most {o.MaxListItems}");
            }

            for (var i = 0; i < events.Count && i < o.MaxListItems; i++)
            {
                if (events[i] is null || !IPAddress.TryParse(events[i].Ip ?? "", out _))
                {
                    errors.Add($"reportedPerson.ipCaptureEvents[{i}].ip is not an IP address");
                }

                CheckLength(errors, $"reportedPerson.ipCaptureEvents[{i}].eventName", events[i]?.EventName, o.MaxShortTextLength);
            }
        }

        // Media parts by name: unique, non-empty, within limits.
        var partsByName = new Dictionary<string, IncomingMedia>(StringComparer.Ordinal);
        long totalBytes = 0;
        foreach (var part in media)
        {
            if (part is null || string.IsNullOrWhiteSpace(part.PartName))
            {
                errors.Add("a media part has no name");
                continue;
            }

            if (!partsByName.TryAdd(part.PartName, part))
            {
                errors.Add($"media part '{part.PartName}' is sent more than once");
            }

            if (part.Bytes is null || part.Bytes.Length == 0)
            {
                errors.Add($"media part '{part.PartName}' is empty");
            }
            else if (part.Bytes.LongLength > o.MaxFileBytes)
            {
                errors.Add($"media part '{part.PartName}' is {part.Bytes.LongLength:N0} bytes; the limit is {o.MaxFileBytes:N0}");
            }

            totalBytes += part.Bytes?.LongLength ?? 0;
            CheckLength(errors, $"media part '{part.PartName}' file name", part.FileName, o.MaxShortTextLength);
            CheckLength(errors, $"media part '{part.PartName}' content type", part.ContentType, o.MaxShortTextLength);
        }

        if (totalBytes > o.MaxTotalBytes)
        {
            errors.Add($"the media parts total {totalBytes:N0} bytes; the limit is {o.MaxTotalBytes:N0}");
        }

        // Described files: each names an existing part at most once, or carries hashes.
        var described = submission.Files ?? [];
        var files = new List<SubmittedFile>(described.Count + media.Count);
        var fileMedia = new List<IncomingMedia?>(described.Count + media.Count);
        var usedParts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < described.Count; i++)
        {
            var file = described[i];
            if (file is null)
            {
                errors.Add($"files[{i}] is null");
                continue;
            }

            IncomingMedia? part = null;
            if (file.Part is not null)
            {
                if (!partsByName.TryGetValue(file.Part, out part))
                {
                    errors.Add($"files[{i}].part '{file.Part}' names no media part of the request");
                }
                else if (!usedParts.Add(file.Part))
                {
                    errors.Add($"files[{i}].part '{file.Part}' is already used by another file");
                }
            }
            else if (file.Hashes is null || IsEmpty(file.Hashes))
            {
                errors.Add($"files[{i}] has neither a media part nor hashes");
            }

            CheckLength(errors, $"files[{i}].originalName", file.OriginalName, o.MaxShortTextLength);
            if (file.Hashes is { } hashes)
            {
                CheckHashes(errors, $"files[{i}].hashes", hashes);
            }

            files.Add(file);
            fileMedia.Add(part);
        }

        // Parts the JSON does not describe become files of their own, in the order they came.
        foreach (var part in media)
        {
            if (part is null || string.IsNullOrWhiteSpace(part.PartName) || usedParts.Contains(part.PartName) ||
                !ReferenceEquals(partsByName.GetValueOrDefault(part.PartName), part))
            {
                continue;
            }

            usedParts.Add(part.PartName);
            files.Add(new SubmittedFile { Part = part.PartName, OriginalName = part.FileName ?? part.PartName });
            fileMedia.Add(part);
        }

        if (files.Count == 0)
        {
            errors.Add("the report has no files: send media parts or describe files with their hashes");
        }
        else if (files.Count > o.MaxFiles)
        {
            errors.Add($"the report has {files.Count} files; at most {o.MaxFiles}");
        }

        if (errors.Count > 0)
        {
            throw new ReportValidationException(errors);
        }

        return (files, fileMedia);
    }

    /// <summary>Reporter hashes must be well formed: md5/sha1/sha256/pdq hex of their length, PhotoDNA base64 of 144 bytes.</summary>
    internal static void CheckHashes(List<string> errors, string where, ReporterHashes hashes)
    {
        Check(hashes.Md5, SignalTypes.Md5, "md5");
        Check(hashes.Sha1, SignalTypes.Sha1, "sha1");
        Check(hashes.Sha256, SignalTypes.Sha256, "sha256");
        Check(hashes.Pdq, SignalTypes.Pdq, "pdq");
        Check(hashes.PhotoDna, SignalTypes.PhotoDna, "photoDna");

        void Check(string? value, SignalType type, string field)
        {
            if (value is not null && !type.TryNormalize(value, out _, out var error))
            {
                errors.Add($"{where}.{field}: {error}");
            }
        }
    }

    /// <summary>Canonical forms (lowercase hex, base64) of hashes already checked by <see cref="CheckHashes"/>.</summary>
    internal static ReporterHashes? NormalizeHashes(ReporterHashes? hashes) => hashes is null || IsEmpty(hashes)
        ? null
        : new ReporterHashes
        {
            Md5 = hashes.Md5 is null ? null : SignalTypes.Md5.Normalize(hashes.Md5),
            Sha1 = hashes.Sha1 is null ? null : SignalTypes.Sha1.Normalize(hashes.Sha1),
            Sha256 = hashes.Sha256 is null ? null : SignalTypes.Sha256.Normalize(hashes.Sha256),
            Pdq = hashes.Pdq is null ? null : SignalTypes.Pdq.Normalize(hashes.Pdq),
            PhotoDna = hashes.PhotoDna is null ? null : SignalTypes.PhotoDna.Normalize(hashes.PhotoDna),
        };

    internal static bool IsEmpty(ReporterHashes hashes) =>
        hashes.Md5 is null && hashes.Sha1 is null && hashes.Sha256 is null && hashes.Pdq is null && hashes.PhotoDna is null;

    private void CheckItems(List<string> errors, string field, IReadOnlyList<string>? items)
    {
        if (items is null)
        {
            return;
        }

        if (items.Count > _options.MaxListItems)
        {
            errors.Add($"{field} has {items.Count} items; at most {_options.MaxListItems}");
            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is null)
            {
                errors.Add($"{field}[{i}] is null");
            }
            else
            {
                CheckLength(errors, $"{field}[{i}]", items[i], _options.MaxShortTextLength);
            }
        }
    }

    private static void CheckLength(List<string> errors, string field, string? value, int max)
    {
        if (value is not null && value.Length > max)
        {
            errors.Add($"{field} is {value.Length:N0} characters; at most {max:N0}");
        }
    }

    private sealed record SubmitAuditDetails(int Files, int Media, long MediaBytes, bool Escalate);
}
