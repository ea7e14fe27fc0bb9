using System.Globalization;
using System.Text;
using Needle.Core.Reports;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>
/// The robust features of processed images in <c>robust_features</c>: one row per file, the compact descriptor apart
/// from the whole entry so the similarity column's reads never page the keypoints in. An identical copy's row holds
/// no features, only <c>same_as</c> (the file whose row does): reads resolve it with one self-join.
/// </summary>
internal sealed class RelationalRobustStore(RelationalDatabase database) : IRobustStore
{
    // Parameters per IN list: well under SQLite's and PostgreSQL's limits.
    private const int DescriptorsPerRead = 500;

    public Task SaveAsync(RobustFeatureRow features, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(features.Descriptor);
        ArgumentException.ThrowIfNullOrWhiteSpace(features.Features);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var exists = await database.Dialect
                    .Command(connection, transaction, "SELECT report_id FROM files WHERE id = @file;")
                    .With("@file", features.FileId)
                    .ScalarAsync(ct)
                    .ConfigureAwait(false);
                if (exists is null)
                {
                    throw new KeyNotFoundException($"File {features.FileId} does not exist.");
                }

                await database.Dialect
                    .Command(connection, transaction, """
                        INSERT INTO robust_features (file_id, report_id, descriptor, features, sha256, model, created_at)
                        VALUES (@file, @report, @descriptor, @features, @sha256, @model, @at)
                        ON CONFLICT (file_id) DO NOTHING;
                        """)
                    .With("@file", features.FileId)
                    .With("@report", features.ReportId)
                    .With("@descriptor", features.Descriptor)
                    .With("@features", features.Features)
                    .With("@sha256", features.Sha256)
                    .With("@model", features.Model)
                    .With("@at", database.Time.GetUtcNow())
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public Task<Guid?> FindBySha256Async(string sha256, string? model = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sha256);
        return database.ReadAsync<Guid?>(
            async (connection, transaction, ct) =>
            {
                var found = await database.Dialect
                    .Command(connection, transaction, """
                        SELECT file_id FROM robust_features
                        WHERE sha256 = @sha256 AND features IS NOT NULL AND COALESCE(model, '') = @model ORDER BY seq LIMIT 1;
                        """)
                    .With("@sha256", sha256)
                    .With("@model", model ?? "")
                    .ListAsync(reader => reader.GetGuid(0), ct)
                    .ConfigureAwait(false);
                return found.Count == 0 ? null : found[0];
            },
            cancellationToken);
    }

    public Task<bool> SaveCopyAsync(Guid fileId, Guid reportId, Guid sourceFileId, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var exists = await database.Dialect
                    .Command(connection, transaction, "SELECT report_id FROM files WHERE id = @file;")
                    .With("@file", fileId)
                    .ScalarAsync(ct)
                    .ConfigureAwait(false);
                if (exists is null)
                {
                    throw new KeyNotFoundException($"File {fileId} does not exist.");
                }

                // Only a row holding features is referred to, so a reference is always one step away from them.
                var source = await database.Dialect
                    .Command(connection, transaction, "SELECT 1 FROM robust_features WHERE file_id = @source AND features IS NOT NULL;")
                    .With("@source", sourceFileId)
                    .ScalarAsync(ct)
                    .ConfigureAwait(false);
                if (source is null)
                {
                    return false;
                }

                await database.Dialect
                    .Command(connection, transaction, """
                        INSERT INTO robust_features (file_id, report_id, same_as, created_at)
                        VALUES (@file, @report, @source, @at)
                        ON CONFLICT (file_id) DO NOTHING;
                        """)
                    .With("@file", fileId)
                    .With("@report", reportId)
                    .With("@source", sourceFileId)
                    .With("@at", database.Time.GetUtcNow())
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    public Task<RobustFeatureCounts> CountAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) => (await database.Dialect
                .Command(connection, transaction, """
                    SELECT COUNT(features), COUNT(same_as), COALESCE(SUM(LENGTH(features) + LENGTH(descriptor)), 0) FROM robust_features;
                    """)
                .ListAsync(reader => new RobustFeatureCounts(reader.GetInt64(0), reader.GetInt64(1), Convert.ToInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture)), ct)
                .ConfigureAwait(false))[0],
            cancellationToken);

    public Task<string?> GetFeaturesAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) => (string?)await database.Dialect
                .Command(connection, transaction, """
                    SELECT COALESCE(r.features, s.features) FROM robust_features r
                    LEFT JOIN robust_features s ON s.file_id = r.same_as
                    WHERE r.file_id = @file;
                    """)
                .With("@file", fileId)
                .ScalarAsync(ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<IReadOnlyList<RobustDescriptorRow>> ReadDescriptorsAsync(long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return database.ReadAsync<IReadOnlyList<RobustDescriptorRow>>(
            async (connection, transaction, ct) => await database.Dialect
                .Command(connection, transaction, """
                    SELECT r.seq, r.file_id, r.report_id, COALESCE(r.descriptor, s.descriptor), COALESCE(r.model, s.model) FROM robust_features r
                    LEFT JOIN robust_features s ON s.file_id = r.same_as
                    WHERE r.seq > @after ORDER BY r.seq LIMIT @limit;
                    """)
                .With("@after", afterSequence)
                .With("@limit", limit)
                .ListAsync(reader => new RobustDescriptorRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<byte[]>(3)) { Model = reader.IsDBNull(4) ? null : reader.GetString(4) }, ct)
                .ConfigureAwait(false),
            cancellationToken);
    }

    public async Task<IReadOnlyList<RobustDescriptorRow>> ReadDescriptorsOfAsync(IReadOnlyList<Guid> fileIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileIds);
        var found = new List<RobustDescriptorRow>(fileIds.Count);
        for (var start = 0; start < fileIds.Count; start += DescriptorsPerRead)
        {
            var count = Math.Min(DescriptorsPerRead, fileIds.Count - start);
            var offset = start;
            found.AddRange(await database.ReadAsync<IReadOnlyList<RobustDescriptorRow>>(
                async (connection, transaction, ct) =>
                {
                    var names = new StringBuilder();
                    for (var i = 0; i < count; i++)
                    {
                        names.Append(i == 0 ? "@f" : ", @f").Append(i.ToString(CultureInfo.InvariantCulture));
                    }

                    var command = database.Dialect.Command(connection, transaction, $"""
                        SELECT r.seq, r.file_id, r.report_id, COALESCE(r.descriptor, s.descriptor), COALESCE(r.model, s.model) FROM robust_features r
                        LEFT JOIN robust_features s ON s.file_id = r.same_as
                        WHERE r.file_id IN ({names});
                        """);
                    for (var i = 0; i < count; i++)
                    {
                        command.With("@f" + i.ToString(CultureInfo.InvariantCulture), fileIds[offset + i]);
                    }

                    return await command
                        .ListAsync(reader => new RobustDescriptorRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<byte[]>(3)) { Model = reader.IsDBNull(4) ? null : reader.GetString(4) }, ct)
                        .ConfigureAwait(false);
                },
                cancellationToken).ConfigureAwait(false));
        }

        return found;
    }
}
