using System.Data.Common;
using System.Globalization;
using Needle.Core.Triage;
using Needle.Hashing;

namespace Needle.Storage.Relational;

/// <summary>
/// Links between reports, kept as clusters instead of pairs. A shared value (an email, an IP, a device, a camera
/// serial) is one <c>link_clusters</c> row, with one <c>link_members</c> row per report (and file) holding it. Copies
/// and near-duplicates of an image are one media cluster, one member row per file: a link between two files puts them
/// in one cluster (union-find on write, union by size: the smaller cluster's members move to the larger). So a viral
/// file's reports cost one row each, not one per pair, and a report's links are read back as the other members of its
/// clusters, each pair with the evidence of why (the shared hash, or the PDQ distance of the two files).
/// </summary>
internal static class RelationalLinkClusters
{
    /// <summary>At most this many other reports are read back from one cluster (the most recent members first).</summary>
    public const int MaxMembersRead = 500;

    /// <summary>The <c>kind</c> of a media cluster (exact copies and near-duplicates together).</summary>
    private const int MediaClusterKind = (int)LinkKind.SimilarMedia;

    private const string SelectMemberships = """
        SELECT m.cluster_id, c.kind, c.value, m.file_id, m.kind, m.value, m.via_file, m.distance, f.sha256, f.md5, f.pdq
        FROM link_members m JOIN link_clusters c ON c.id = m.cluster_id LEFT JOIN files f ON f.id = m.file_id
        WHERE m.report_id = @id;
        """;

    private const string SelectPersonMemberships = """
        SELECT m.cluster_id, c.kind, c.value, m.file_id, m.kind, m.value, m.via_file, m.distance, f.sha256, f.md5, f.pdq
        FROM link_members m JOIN link_clusters c ON c.id = m.cluster_id LEFT JOIN files f ON f.id = m.file_id
        WHERE m.report_id = @id AND c.kind NOT IN (0, 1);
        """;

    private static bool IsMedia(LinkKind kind) => kind is LinkKind.SameMedia or LinkKind.SimilarMedia or LinkKind.Robust;

    /// <summary>Stores links found by triage as cluster memberships, inside the caller's write transaction. Idempotent.</summary>
    public static async Task StoreAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, IReadOnlyList<ReportLink> links, CancellationToken cancellationToken)
    {
        if (links.Count == 0)
        {
            return;
        }

        await dialect.LockLinkClustersAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var writer = new Writer(dialect, connection, transaction);
        foreach (var link in links)
        {
            if (link.ReportId == link.OtherReportId)
            {
                continue;
            }

            if (IsMedia(link.Kind) && link is { FileId: { } mine, OtherFileId: { } theirs })
            {
                await writer.LinkFilesAsync(link, mine, theirs, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var cluster = await writer.ValueClusterAsync(link.Kind, link.Value, link.CreatedAt, cancellationToken).ConfigureAwait(false);
                await writer.AddMemberAsync(cluster, link.ReportId, link.FileId, link.Kind, link.Value, null, null, link.CreatedAt, cancellationToken).ConfigureAwait(false);
                await writer.AddMemberAsync(cluster, link.OtherReportId, link.OtherFileId, link.Kind, link.Value, null, null, link.CreatedAt, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The report's links: for each of its memberships, the other members of the cluster (at most
    /// <see cref="MaxMembersRead"/> reports each, most recent first), with the evidence of each pair. Ordered by when
    /// they were found, then by report, kind and value.
    /// </summary>
    public static async Task<IReadOnlyList<ReportLink>> ReadLinksAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, Guid reportId, bool includeMedia, CancellationToken cancellationToken)
    {
        var memberships = await dialect
            .Command(connection, transaction, includeMedia ? SelectMemberships : SelectPersonMemberships)
            .With("@id", reportId)
            .ListAsync(reader => (Cluster: reader.GetInt64(0), Kind: reader.GetInt32(1), Value: reader.GetStringOrNull(2), Member: ReadMember(reader, 3)), cancellationToken)
            .ConfigureAwait(false);
        var links = new List<ReportLink>();
        var seen = new HashSet<(Guid, LinkKind, string, Guid?, Guid?)>();
        foreach (var membership in memberships)
        {
            var others = await dialect
                .Command(connection, transaction, """
                    SELECT m.report_id, m.created_at, m.file_id, m.kind, m.value, m.via_file, m.distance, f.sha256, f.md5, f.pdq
                    FROM link_members m LEFT JOIN files f ON f.id = m.file_id
                    WHERE m.cluster_id = @cluster AND m.report_id <> @id
                    ORDER BY m.created_at DESC
                    LIMIT @limit;
                    """)
                .With("@cluster", membership.Cluster)
                .With("@id", reportId)
                .With("@limit", MaxMembersRead)
                .ListAsync(reader => (Report: reader.GetGuid(0), At: reader.GetInstant(1), Member: ReadMember(reader, 2)), cancellationToken)
                .ConfigureAwait(false);
            foreach (var other in others)
            {
                var (kind, value, distance) = membership.Value is { } shared
                    ? ((LinkKind)membership.Kind, shared, (int?)null)
                    : Evidence(membership.Member, other.Member);
                if (seen.Add((other.Report, kind, value, membership.Member.File, other.Member.File)))
                {
                    links.Add(new ReportLink(reportId, other.Report, kind, value, membership.Member.File, other.Member.File, distance, other.At));
                }
            }
        }

        links.Sort(static (x, y) =>
        {
            var byTime = x.CreatedAt.CompareTo(y.CreatedAt);
            if (byTime != 0)
            {
                return byTime;
            }

            var byReport = string.CompareOrdinal(x.OtherReportId.ToString("D", CultureInfo.InvariantCulture), y.OtherReportId.ToString("D", CultureInfo.InvariantCulture));
            return byReport != 0 ? byReport : x.Kind != y.Kind ? x.Kind.CompareTo(y.Kind) : string.CompareOrdinal(x.Value, y.Value);
        });
        return links;
    }

    /// <summary>
    /// The report's bundle: the reports reachable through media clusters (a report's files' clusters, their members'
    /// reports, their files' clusters...), breadth first, each cluster's reports in id order, at most <paramref name="maxReports"/>.
    /// </summary>
    public static async Task<IReadOnlyList<Guid>> ReadBundleAsync(SqlDialect dialect, DbConnection connection, DbTransaction transaction, Guid reportId, int maxReports, CancellationToken cancellationToken)
    {
        var bundle = new List<Guid> { reportId };
        var seen = new HashSet<Guid> { reportId };
        var clusters = new HashSet<long>();
        for (var next = 0; next < bundle.Count && bundle.Count < maxReports; next++)
        {
            var own = await dialect
                .Command(connection, transaction, "SELECT DISTINCT m.cluster_id FROM link_members m JOIN link_clusters c ON c.id = m.cluster_id WHERE m.report_id = @id AND c.kind IN (0, 1) ORDER BY 1;")
                .With("@id", bundle[next])
                .ListAsync(reader => reader.GetInt64(0), cancellationToken)
                .ConfigureAwait(false);

            // The neighbours at this depth, from all of the report's clusters, in id order.
            var neighbours = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var cluster in own)
            {
                if (!clusters.Add(cluster))
                {
                    continue;
                }

                var reports = await dialect
                    .Command(connection, transaction, "SELECT DISTINCT report_id FROM link_members WHERE cluster_id = @cluster ORDER BY 1 LIMIT @limit;")
                    .With("@cluster", cluster)
                    .With("@limit", maxReports + 1)
                    .ListAsync(reader => reader.GetGuid(0), cancellationToken)
                    .ConfigureAwait(false);
                foreach (var report in reports)
                {
                    if (!seen.Contains(report))
                    {
                        neighbours.Add(report.ToString("D", CultureInfo.InvariantCulture));
                    }
                }
            }

            foreach (var neighbour in neighbours)
            {
                if (bundle.Count >= maxReports)
                {
                    return bundle;
                }

                var id = Guid.Parse(neighbour, CultureInfo.InvariantCulture);
                seen.Add(id);
                bundle.Add(id);
            }
        }

        return bundle;
    }

    private static Member ReadMember(DbDataReader reader, int first) => new(
        reader.GetGuidOrNull(first),
        (LinkKind)reader.GetInt32(first + 1),
        reader.GetString(first + 2),
        reader.GetGuidOrNull(first + 3),
        reader.GetInt32OrNull(first + 4),
        reader.GetStringOrNull(first + 5),
        reader.GetStringOrNull(first + 6),
        reader.GetStringOrNull(first + 7));

    /// <summary>
    /// Why two files of one media cluster are linked: the same SHA-256 or MD5; else the evidence of whichever joined
    /// through the other; else the PDQ distance of the two (they joined through other copies).
    /// </summary>
    private static (LinkKind Kind, string Value, int? Distance) Evidence(Member mine, Member theirs)
    {
        if (mine.Sha256 is not null && string.Equals(mine.Sha256, theirs.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            return (LinkKind.SameMedia, "sha256:" + mine.Sha256, null);
        }

        if (mine.Md5 is not null && string.Equals(mine.Md5, theirs.Md5, StringComparison.OrdinalIgnoreCase))
        {
            return (LinkKind.SameMedia, "md5:" + mine.Md5, null);
        }

        if (theirs.ViaFile is { } via && via == mine.File)
        {
            return (theirs.Kind, theirs.Value, theirs.Distance);
        }

        if (mine.ViaFile is { } myVia && myVia == theirs.File)
        {
            return (mine.Kind, mine.Value, mine.Distance);
        }

        if (PdqHash.TryParse(mine.Pdq, out var a) && PdqHash.TryParse(theirs.Pdq, out var b))
        {
            var distance = a.HammingDistance(b);
            return (LinkKind.SimilarMedia, string.Create(CultureInfo.InvariantCulture, $"pdq:{distance}"), distance);
        }

        return (theirs.Kind, theirs.Value, theirs.Distance);
    }

    private sealed record Member(Guid? File, LinkKind Kind, string Value, Guid? ViaFile, int? Distance, string? Sha256, string? Md5, string? Pdq);

    /// <summary>The writes of one transaction, remembering the clusters it looked up.</summary>
    private sealed class Writer(SqlDialect dialect, DbConnection connection, DbTransaction transaction)
    {
        private readonly Dictionary<Guid, long> _mediaClusters = [];

        /// <summary>The cluster of a shared value, created when it is new.</summary>
        public async Task<long> ValueClusterAsync(LinkKind kind, string value, DateTimeOffset at, CancellationToken cancellationToken)
        {
            await dialect
                .Command(connection, transaction, "INSERT INTO link_clusters (kind, value, members, created_at) VALUES (@kind, @value, 0, @at) ON CONFLICT DO NOTHING;")
                .With("@kind", (int)kind)
                .With("@value", value)
                .With("@at", at)
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
            return await dialect
                .Command(connection, transaction, "SELECT id FROM link_clusters WHERE kind = @kind AND value = @value;")
                .With("@kind", (int)kind)
                .With("@value", value)
                .FirstOrDefaultAsync(reader => reader.GetInt64(0), cancellationToken)
                .ConfigureAwait(false);
        }

        /// <summary>Puts two files in one media cluster: a new one, the one either is in, or (both in one) the union of both.</summary>
        public async Task LinkFilesAsync(ReportLink link, Guid mine, Guid theirs, CancellationToken cancellationToken)
        {
            var a = await MediaClusterOfAsync(mine, cancellationToken).ConfigureAwait(false);
            var b = await MediaClusterOfAsync(theirs, cancellationToken).ConfigureAwait(false);
            if (a is null && b is null)
            {
                var created = await dialect
                    .Command(connection, transaction, "INSERT INTO link_clusters (kind, value, members, created_at) VALUES (@kind, NULL, 0, @at) RETURNING id;")
                    .With("@kind", MediaClusterKind)
                    .With("@at", link.CreatedAt)
                    .FirstOrDefaultAsync(reader => reader.GetInt64(0), cancellationToken)
                    .ConfigureAwait(false);
                await JoinAsync(created, link.OtherReportId, theirs, link, mine, cancellationToken).ConfigureAwait(false);
                await JoinAsync(created, link.ReportId, mine, link, theirs, cancellationToken).ConfigureAwait(false);
            }
            else if (a is null)
            {
                await JoinAsync(b!.Value, link.ReportId, mine, link, theirs, cancellationToken).ConfigureAwait(false);
            }
            else if (b is null)
            {
                await JoinAsync(a.Value, link.OtherReportId, theirs, link, mine, cancellationToken).ConfigureAwait(false);
            }
            else if (a != b)
            {
                await UnionAsync(a.Value, b.Value, cancellationToken).ConfigureAwait(false);
            }
        }

        /// <summary>Adds a member (once) and counts it in its cluster.</summary>
        public async Task AddMemberAsync(long cluster, Guid reportId, Guid? fileId, LinkKind kind, string value, Guid? viaFile, int? distance, DateTimeOffset at, CancellationToken cancellationToken)
        {
            var added = await dialect
                .Command(connection, transaction, """
                    INSERT INTO link_members (cluster_id, report_id, file_id, kind, value, via_file, distance, created_at)
                    VALUES (@cluster, @report, @file, @kind, @value, @via, @distance, @at)
                    ON CONFLICT DO NOTHING;
                    """)
                .With("@cluster", cluster)
                .With("@report", reportId)
                .With("@file", fileId)
                .With("@kind", (int)kind)
                .With("@value", value)
                .With("@via", viaFile)
                .With("@distance", distance)
                .With("@at", at)
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
            if (added == 1)
            {
                await dialect
                    .Command(connection, transaction, "UPDATE link_clusters SET members = members + 1 WHERE id = @id;")
                    .With("@id", cluster)
                    .RunAsync(cancellationToken)
                    .ConfigureAwait(false);
            }
        }

        private async Task JoinAsync(long cluster, Guid reportId, Guid fileId, ReportLink link, Guid viaFile, CancellationToken cancellationToken)
        {
            await AddMemberAsync(cluster, reportId, fileId, link.Kind, link.Value, viaFile, link.Distance, link.CreatedAt, cancellationToken).ConfigureAwait(false);
            _mediaClusters[fileId] = cluster;
        }

        private async Task<long?> MediaClusterOfAsync(Guid fileId, CancellationToken cancellationToken)
        {
            if (_mediaClusters.TryGetValue(fileId, out var known))
            {
                return known;
            }

            var found = await dialect
                .Command(connection, transaction, "SELECT cluster_id FROM link_members WHERE file_id = @file AND kind IN (@same, @similar, @robust) LIMIT 1;")
                .With("@file", fileId)
                .With("@same", (int)LinkKind.SameMedia)
                .With("@similar", (int)LinkKind.SimilarMedia)
                .With("@robust", (int)LinkKind.Robust)
                .FirstOrDefaultAsync(reader => (long?)reader.GetInt64(0), cancellationToken)
                .ConfigureAwait(false);
            if (found is { } cluster)
            {
                _mediaClusters[fileId] = cluster;
            }

            return found;
        }

        /// <summary>Moves the members of the smaller cluster into the larger and deletes the smaller.</summary>
        private async Task UnionAsync(long a, long b, CancellationToken cancellationToken)
        {
            var sizes = await dialect
                .Command(connection, transaction, "SELECT id, members FROM link_clusters WHERE id IN (@a, @b);")
                .With("@a", a)
                .With("@b", b)
                .ListAsync(reader => (Id: reader.GetInt64(0), Members: reader.GetInt32(1)), cancellationToken)
                .ConfigureAwait(false);
            var sizeA = sizes.Find(s => s.Id == a).Members;
            var sizeB = sizes.Find(s => s.Id == b).Members;
            var (large, small) = sizeA >= sizeB ? (a, b) : (b, a);
            var moved = await dialect
                .Command(connection, transaction, "UPDATE link_members SET cluster_id = @large WHERE cluster_id = @small;")
                .With("@large", large)
                .With("@small", small)
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
            await dialect
                .Command(connection, transaction, "UPDATE link_clusters SET members = members + @moved WHERE id = @large;")
                .With("@moved", moved)
                .With("@large", large)
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
            await dialect.Command(connection, transaction, "DELETE FROM link_clusters WHERE id = @small;").With("@small", small).RunAsync(cancellationToken).ConfigureAwait(false);
            foreach (var file in _mediaClusters.Where(p => p.Value == small).Select(p => p.Key).ToList())
            {
                _mediaClusters[file] = large;
            }
        }
    }
}
