using Needle.Core.Reports;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>
/// The robust features of processed images in <c>robust_features</c>: one row per file, the compact descriptor apart
/// from the whole entry so the similarity column's reads never page the keypoints in.
/// </summary>
internal sealed class RelationalRobustStore(RelationalDatabase database) : IRobustStore
{
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
                        INSERT INTO robust_features (file_id, report_id, descriptor, features, created_at)
                        VALUES (@file, @report, @descriptor, @features, @at)
                        ON CONFLICT (file_id) DO NOTHING;
                        """)
                    .With("@file", features.FileId)
                    .With("@report", features.ReportId)
                    .With("@descriptor", features.Descriptor)
                    .With("@features", features.Features)
                    .With("@at", database.Time.GetUtcNow())
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public Task<string?> GetFeaturesAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) => (string?)await database.Dialect
                .Command(connection, transaction, "SELECT features FROM robust_features WHERE file_id = @file;")
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
                    SELECT seq, file_id, report_id, descriptor FROM robust_features
                    WHERE seq > @after ORDER BY seq LIMIT @limit;
                    """)
                .With("@after", afterSequence)
                .With("@limit", limit)
                .ListAsync(reader => new RobustDescriptorRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetGuid(2), reader.GetFieldValue<byte[]>(3)), ct)
                .ConfigureAwait(false),
            cancellationToken);
    }
}
