using System.Data.Common;
using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Clues;
using Needle.Core.Lists;
using Needle.Core.Reports;
using Needle.Core.Serialization;
using Needle.Core.Triage;
using Needle.Matching.Lists;

namespace Needle.Storage.Relational;

/// <summary>
/// The rows the stores read into records, and the column lists they select them with, in the order the readers read
/// them. Providers differ only in how they store a GUID (uuid or text) and a flag (boolean or 0/1), which their own
/// <c>GetGuid</c> and <c>GetBoolean</c> already read, and in JSON columns, read back as text through the dialect.
/// </summary>
internal static class StoredRows
{
    /// <summary>The columns <see cref="ReadFile"/> reads, from <c>files f</c>.</summary>
    public static string FileColumns(SqlDialect dialect) =>
        "f.id, f.report_id, f.ordinal, f.original_name, f.content_type, f.size, f.has_media, f.state, f.error, " + dialect.JsonText("f.reporter_hashes") + ", " +
        "f.md5, f.sha1, f.sha256, f.pdq, f.pdq_quality, f.width, f.height, f.format, " + dialect.JsonText("f.clues") + ", " + dialect.JsonText("f.video");

    /// <summary>The columns <see cref="ReadMatch"/> reads, from <c>matches</c>.</summary>
    public static string MatchColumns(SqlDialect dialect) =>
        "file_id, list_name, entry_id, label, category, signal, value, distance, transform, allow_list, " + dialect.JsonText("video") + ", " + dialect.JsonText("robust");

    /// <summary>The columns <see cref="ReadListEntry"/> reads, from <c>list_entries</c>.</summary>
    public static string ListEntryColumns(SqlDialect dialect) =>
        "id, signal, value, label, category, source, enabled, " + dialect.JsonText("metadata");

    /// <summary>The columns <see cref="ReadScore"/> reads, from <c>reports</c> (<paramref name="alias"/> being "" or "r.").</summary>
    public static string ScoreColumns(SqlDialect dialect, string alias) =>
        alias + "score, " + dialect.JsonText(alias + "score_reasons") + ", " + alias + "review_state, " + alias + "scored_at";

    /// <summary>A list entry's metadata as stored: a JSON object of strings, null when empty.</summary>
    public static string? MetadataJson(HashListEntry entry) =>
        entry.Metadata.Count == 0 ? null : DocumentJson.SerializeOrNull(entry.Metadata);

    /// <summary>id, report_id, ordinal, original_name, content_type, size, has_media, state, error, reporter_hashes, md5, sha1, sha256, pdq, pdq_quality, width, height, format, clues, video.</summary>
    public static StoredFile ReadFile(DbDataReader reader) => new()
    {
        Id = reader.GetGuid(0),
        ReportId = reader.GetGuid(1),
        Ordinal = reader.GetInt32(2),
        OriginalName = reader.GetStringOrNull(3),
        ContentType = reader.GetStringOrNull(4),
        Size = reader.GetInt64(5),
        HasMedia = reader.GetBoolean(6),
        State = (FileState)reader.GetInt32(7),
        Error = reader.GetStringOrNull(8),
        ReporterHashes = DocumentJson.DeserializeOrNull<ReporterHashes>(reader.GetStringOrNull(9)),
        Md5 = reader.GetStringOrNull(10),
        Sha1 = reader.GetStringOrNull(11),
        Sha256 = reader.GetStringOrNull(12),
        Pdq = reader.GetStringOrNull(13),
        PdqQuality = reader.GetInt32OrNull(14),
        Width = reader.GetInt32OrNull(15),
        Height = reader.GetInt32OrNull(16),
        Format = reader.GetStringOrNull(17),
        Clues = DocumentJson.DeserializeOrNull<FileClues>(reader.GetStringOrNull(18)),
        Video = DocumentJson.DeserializeOrNull<VideoSummary>(reader.GetStringOrNull(19)),
    };

    /// <summary>id, external_id, status, received_at, processed_at, escalate, file_count, matched_file_count, jurisdiction_queue, jurisdiction_country: a report listing's and the queue's first ten columns.</summary>
    public static ReportSummary ReadReportSummary(DbDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetStringOrNull(1),
        (ReportStatus)reader.GetInt32(2),
        reader.GetInstant(3),
        reader.GetInstantOrNull(4),
        reader.GetBoolean(5),
        reader.GetInt32(6),
        reader.GetInt32(7))
    {
        JurisdictionQueue = reader.GetStringOrNull(8),
        JurisdictionCountry = reader.GetStringOrNull(9),
    };

    /// <summary>file_id (not read), list_name, entry_id, label, category, signal, value, distance, transform, allow_list, video, robust.</summary>
    public static StoredMatch ReadMatch(DbDataReader reader) => new(
        reader.GetString(1),
        reader.GetInt32(2),
        reader.GetStringOrNull(3),
        reader.GetStringOrNull(4),
        reader.GetString(5),
        reader.GetString(6),
        reader.GetDouble(7),
        reader.GetString(8),
        reader.GetBoolean(9))
    {
        Video = DocumentJson.DeserializeOrNull<VideoMatchDetails>(reader.GetStringOrNull(10)),
        Robust = DocumentJson.DeserializeOrNull<Needle.Matching.Lists.RobustMatchDetails>(reader.GetStringOrNull(11)),
    };

    /// <summary>id, name, role, salt, secret_hash, created_at, expires_at, revoked_at.</summary>
    public static ApiKeyRecord ReadKey(DbDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        Enum.Parse<ApiRole>(reader.GetString(2)),
        reader.GetFieldValue<byte[]>(3),
        reader.GetFieldValue<byte[]>(4),
        reader.GetInstant(5),
        reader.GetInstantOrNull(6),
        reader.GetInstantOrNull(7));

    /// <summary>sequence, at, actor, action, target, details, remote_address, previous_hash, hash.</summary>
    public static AuditEntry ReadAuditEntry(DbDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetInstant(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetStringOrNull(5),
        reader.GetStringOrNull(6),
        reader.GetString(7),
        reader.GetString(8));

    /// <summary>name, kind, pdq_threshold, photodna_threshold, created_at, from <paramref name="first"/> on.</summary>
    public static StoredList ReadList(DbDataReader reader, int first) =>
        new(
            reader.GetString(first),
            Enum.Parse<HashListKind>(reader.GetString(first + 1)),
            reader.GetDoubleOrNull(first + 2),
            reader.GetDoubleOrNull(first + 3),
            reader.GetInstant(first + 4));

    /// <summary>id, signal, value, label, category, source, enabled, metadata.</summary>
    /// <exception cref="InvalidDataException">The stored signal type is not one this build knows.</exception>
    public static HashListEntry ReadListEntry(DbDataReader reader)
    {
        var signalName = reader.GetString(1);
        if (!SignalTypes.TryGet(signalName, out var signalType))
        {
            throw new InvalidDataException($"A list entry has the unknown signal type '{signalName}'.");
        }

        return new HashListEntry(signalType, reader.GetString(2))
        {
            Id = reader.GetInt32(0),
            Label = reader.GetStringOrNull(3),
            Category = reader.GetStringOrNull(4),
            Source = reader.GetStringOrNull(5),
            Enabled = reader.GetBoolean(6),
            Metadata = DocumentJson.DeserializeOrNull<Dictionary<string, string>>(reader.GetStringOrNull(7)) ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(),
        };
    }

    /// <summary>score, score_reasons, review_state, scored_at from <paramref name="first"/> on; before the first triage the time is <paramref name="fallbackAt"/>.</summary>
    public static PriorityScore ReadScore(DbDataReader reader, int first, DateTimeOffset? fallbackAt = null) => new(
        reader.GetDouble(first),
        DocumentJson.DeserializeOrNull<List<ScoreReason>>(reader.GetStringOrNull(first + 1)) ?? [],
        (ReviewState)reader.GetInt32(first + 2),
        reader.GetInstantOrNull(first + 3) ?? fallbackAt ?? default);

    /// <summary>claimed_by, claimed_at, claim_expires from <paramref name="first"/> on; null when unclaimed (expiry not checked).</summary>
    public static ReportClaim? ReadClaim(DbDataReader reader, Guid reportId, int first) =>
        reader.IsDBNull(first) ? null : new ReportClaim(reportId, reader.GetString(first), reader.GetInstant(first + 1), reader.GetInstant(first + 2));

    /// <summary>id, file_id, report_id, category, note, source, actor, at, revises, based_on, based_on_file, based_on_reason.</summary>
    public static FileDecision ReadDecision(DbDataReader reader) => new()
    {
        Id = reader.GetInt64(0),
        FileId = reader.GetGuid(1),
        ReportId = reader.GetGuid(2),
        Category = (DecisionCategory)reader.GetInt32(3),
        Note = reader.GetStringOrNull(4),
        Source = (DecisionSource)reader.GetInt32(5),
        Actor = reader.GetString(6),
        At = reader.GetInstant(7),
        Revises = reader.GetInt64OrNull(8),
        BasedOn = reader.GetInt64OrNull(9),
        BasedOnFileId = reader.GetGuidOrNull(10),
        BasedOnReason = reader.GetStringOrNull(11),
    };
}
