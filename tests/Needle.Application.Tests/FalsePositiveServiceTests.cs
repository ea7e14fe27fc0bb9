using System.Text.Json;
using Needle.Application.Lists;
using Needle.Application.Review;
using Needle.Application.Triage;
using Needle.Core.Reports;
using Needle.Matching.Lists;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class FalsePositiveServiceTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task MarkingAFalsePositiveStopsTheMatchAndIsExportedForTheProvider()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(100);
        await h.KnownListAsync("provider", image);
        var first = await h.SubmitAndRunAsync(image);
        var matches = first.Files[0].Matches;
        Assert.Equal(2, matches.Count);
        Assert.Contains((await h.ScoreAsync(first.Id)).Reasons, r => r.Code == ReportPrioritizer.KnownMedia);

        foreach (var match in matches)
        {
            await h.FalsePositives.MarkAsync(first.Files[0].Id, "provider", match.EntryId, "a holiday photo, not abuse", "reviewer-1", "192.0.2.9");
        }

        var allowList = h.Matchers.FindList("needle-false-positives");
        Assert.NotNull(allowList);
        Assert.Equal(HashListKind.Allow, allowList.Kind);
        Assert.Equal(2, allowList.Entries.Count);

        // The open report is rescored with the lists as they now are; the next copy no longer matches.
        await h.RunJobsAsync();
        var rescored = await h.ScoreAsync(first.Id);
        Assert.DoesNotContain(rescored.Reasons, r => r.Code == ReportPrioritizer.KnownMedia);
        var second = await h.SubmitAndRunAsync(image);
        Assert.All(second.Files[0].Matches, m => Assert.True(m.AllowList));
        Assert.Equal(0, (await h.Store.Reports.ListAsync(new ReportQuery { ListName = "provider" })).Items.Count(r => r.Id == second.Id && r.MatchedFileCount > 0));

        // Marking again changes nothing.
        var again = await h.FalsePositives.MarkAsync(first.Files[0].Id, "provider", matches[0].EntryId, null, "reviewer-2", null);
        Assert.Equal(2, h.Matchers.FindList("needle-false-positives")!.Entries.Count);
        Assert.Equal("reviewer-1", again.Metadata["reviewer"]);

        var rows = h.FalsePositives.Feedback("provider");
        Assert.Equal(2, rows.Count);
        Assert.All(rows, r => Assert.Equal(("provider", first.Files[0].Id.ToString(), "a holiday photo, not abuse", "reviewer-1", "provider-0"), (r.SourceList, r.FileId, r.Note, r.Reviewer, r.SourceLabel)));
        var csv = FalsePositiveService.ToCsv(rows).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("source_list,source_entry_id,signal_type,value,source_label,file_id,note,reviewer,at,enabled", csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.Contains(",\"a holiday photo, not abuse\",", csv[1], StringComparison.Ordinal);
        var jsonLines = FalsePositiveService.ToJsonLines(rows).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, jsonLines.Length);
        Assert.Equal("provider", JsonDocument.Parse(jsonLines[0]).RootElement.GetProperty("sourceList").GetString());
        Assert.Empty(h.FalsePositives.Feedback("another-provider"));

        var audits = await h.Test.AuditEntriesAsync();
        Assert.Equal(3, audits.Count(a => a.Action == "match.false-positive" && a.Target == $"file/{first.Files[0].Id}"));
    }

    [Fact]
    public async Task UnknownListsEntriesAndMatchesAreRefused()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(110);
        var list = await h.KnownListAsync("provider", image);
        var report = await h.SubmitAndRunAsync(TestImages.Generated(111));
        var fileId = report.Files[0].Id;

        await Assert.ThrowsAsync<FileNotFoundInStoreException>(() => h.FalsePositives.MarkAsync(Guid.NewGuid(), "provider", 1, null, "r", null));
        await Assert.ThrowsAsync<ListNotFoundException>(() => h.FalsePositives.MarkAsync(fileId, "nope", 1, null, "r", null));
        await Assert.ThrowsAsync<ListEntryNotFoundException>(() => h.FalsePositives.MarkAsync(fileId, "provider", 999, null, "r", null));
        var notMatched = await Assert.ThrowsAsync<ListEntryNotFoundException>(() => h.FalsePositives.MarkAsync(fileId, "provider", list.Entries[0].Id, null, "r", null));
        Assert.Contains("did not match", notMatched.Message, StringComparison.Ordinal);
        Assert.Null(h.Matchers.FindList("needle-false-positives"));
    }
}

public sealed class FalsePositiveServiceTests_on_Sqlite() : FalsePositiveServiceTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class FalsePositiveServiceTests_on_Postgres(PostgresServer server) : FalsePositiveServiceTests(StoreBackend.Postgres(server));
