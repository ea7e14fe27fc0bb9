namespace Needle.Server.Tests.Faults;

/// <summary>What one file of a report must end up as: its state and the labels of the list entries it must match, once each.</summary>
internal sealed record ExpectedFile(string State, IReadOnlyList<string> Labels);

/// <summary>A report the client got 202 for: its Idempotency-Key, the id the server gave and what its files must become.</summary>
internal sealed record AckedReport(string IdempotencyKey, Guid ReportId, IReadOnlyList<ExpectedFile> Files);

/// <summary>A file as the server shows it after the run.</summary>
internal sealed record ObservedFile(string State, IReadOnlyList<string> Labels);

/// <summary>A report as <c>GET /api/v1/reports/{id}</c> shows it after the run.</summary>
internal sealed record ObservedReport(Guid Id, string Status, IReadOnlyList<ObservedFile> Files);

/// <summary>What the server holds after the run, as seen through its API.</summary>
internal sealed record ServerView(
    IReadOnlyDictionary<Guid, ObservedReport> Reports,
    IReadOnlyList<Guid> Listed,
    int SubmitAuditEntries);

/// <summary>
/// The checks of the kill-and-restart test, as a pure function so a test can show each one fails on the fault it is
/// for: a lost report, a report stored twice, a report never processed, a file processed twice (duplicate matches).
/// </summary>
internal static class FaultLedger
{
    public static List<string> Verify(IReadOnlyList<AckedReport> acked, ServerView server)
    {
        var problems = new List<string>();

        // Each key acknowledged once, each acknowledged report a distinct report.
        foreach (var key in acked.GroupBy(a => a.IdempotencyKey, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"idempotency key {key.Key} was acknowledged {key.Count()} times");
        }

        foreach (var id in acked.GroupBy(a => a.ReportId).Where(g => g.Count() > 1))
        {
            problems.Add($"report {id.Key} was acknowledged for {id.Count()} different idempotency keys");
        }

        foreach (var report in acked)
        {
            if (!server.Reports.TryGetValue(report.ReportId, out var observed))
            {
                problems.Add($"LOST: report {report.ReportId} (key {report.IdempotencyKey}) was acknowledged but is not on the server");
                continue;
            }

            if (observed.Status != "processed")
            {
                problems.Add($"report {report.ReportId} is '{observed.Status}', not processed");
            }

            if (observed.Files.Count != report.Files.Count)
            {
                problems.Add($"report {report.ReportId} has {observed.Files.Count} files; {report.Files.Count} were sent");
                continue;
            }

            for (var i = 0; i < report.Files.Count; i++)
            {
                var expected = report.Files[i];
                var actual = observed.Files[i];
                if (actual.State != expected.State)
                {
                    problems.Add($"report {report.ReportId} file {i} is '{actual.State}', expected '{expected.State}'");
                }

                var want = string.Join(", ", expected.Labels.Order(StringComparer.Ordinal));
                var got = string.Join(", ", actual.Labels.Order(StringComparer.Ordinal));
                if (want != got)
                {
                    problems.Add($"report {report.ReportId} file {i} matched [{got}], expected exactly [{want}]");
                }
            }
        }

        // The listing: exactly the acknowledged reports, each once: nothing stored twice, nothing extra, nothing missing.
        var listed = server.Listed.ToHashSet();
        if (listed.Count != server.Listed.Count)
        {
            problems.Add($"the listing shows {server.Listed.Count} rows for {listed.Count} distinct reports");
        }

        var ackedIds = acked.Select(a => a.ReportId).ToHashSet();
        var distinctKeys = acked.Select(a => a.IdempotencyKey).Distinct(StringComparer.Ordinal).Count();
        if (server.Listed.Count != distinctKeys)
        {
            problems.Add($"the server lists {server.Listed.Count} reports for {distinctKeys} distinct idempotency keys");
        }

        foreach (var extra in listed.Except(ackedIds))
        {
            problems.Add($"DUPLICATE or stray: report {extra} is stored but no acknowledged key gave it");
        }

        foreach (var missing in ackedIds.Except(listed))
        {
            problems.Add($"report {missing} is missing from the listing");
        }

        if (server.SubmitAuditEntries != distinctKeys)
        {
            problems.Add($"the audit log has {server.SubmitAuditEntries} report.submit entries for {distinctKeys} reports");
        }

        return problems;
    }
}
