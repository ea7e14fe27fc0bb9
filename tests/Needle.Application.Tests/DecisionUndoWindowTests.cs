using Needle.Application.Review;
using Needle.Core.Triage;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>Decisions spread to copies only when their undo window has passed; an undo inside it restores the file and spreads nothing.</summary>
public abstract class DecisionUndoWindowTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task AnUndoInsideTheWindowRestoresTheFileAndNothingSpreadsWhileADecisionLeftAloneSpreadsWhenItsWindowEnds()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(70);
        var original = await h.SubmitAndRunAsync(image);
        var copy = await h.SubmitAndRunAsync(image);
        var fileId = original.Files[0].Id;
        var copyId = copy.Files[0].Id;
        await using var window = new DecisionUndoWindow(h.Decisions, h.Store, h.Test.Time, TimeSpan.FromSeconds(10));

        // Decided: stored on the file at once, not yet on the copy in the other report.
        var pending = await window.DecideAsync(fileId, DecisionCategory.ChildAbuseMaterial, null, false, TriageHarness.Analyst, null);
        Assert.Equal(DecisionCategory.ChildAbuseMaterial, (await h.Store.Triage.GetCurrentDecisionsAsync(original.Id))[fileId].Category);
        h.Test.Time.Advance(TimeSpan.FromSeconds(9));
        await window.WhenIdleAsync();
        Assert.Empty(await h.Store.Triage.GetCurrentDecisionsAsync(copy.Id));
        Assert.Equal([pending], window.PendingFor(original.Id, TriageHarness.Analyst));

        // Someone else cannot undo it; its analyst can: the file is undecided again, the copy untouched, no list entry.
        Assert.Null(await window.UndoAsync(pending.DecisionId, "analyst-2", null));
        var undone = await window.UndoAsync(pending.DecisionId, TriageHarness.Analyst, "192.0.2.9");
        Assert.NotNull(undone);
        Assert.Null(undone.Restored);
        Assert.Empty(await h.Store.Triage.GetCurrentDecisionsAsync(original.Id));
        h.Test.Time.Advance(TimeSpan.FromSeconds(30));
        await window.WhenIdleAsync();
        Assert.Empty(await h.Store.Triage.GetCurrentDecisionsAsync(copy.Id));
        Assert.Null(h.Matchers.FindList(h.Options.OrganisationList));
        Assert.Contains(await h.Test.AuditEntriesAsync(), a => a.Action == "file.decide.undo" && a.Target == $"file/{fileId}" && a.RemoteAddress == "192.0.2.9");
        Assert.Empty(window.PendingFor(original.Id, TriageHarness.Analyst));

        // Decided again and left alone: when the window ends it spreads to the copy and the organisation's list.
        var second = await window.DecideAsync(fileId, DecisionCategory.ChildAbuseMaterial, null, false, TriageHarness.Analyst, null);
        h.Test.Time.Advance(TimeSpan.FromSeconds(10));
        await window.WhenIdleAsync();
        var carried = (await h.Store.Triage.GetCurrentDecisionsAsync(copy.Id))[copyId];
        Assert.Equal((DecisionSource.SameHash, second.DecisionId), (carried.Source, carried.BasedOn));
        Assert.NotNull(h.Matchers.FindList(h.Options.OrganisationList));
        Assert.Null(await window.UndoAsync(second.DecisionId, TriageHarness.Analyst, null));
    }

    [Fact]
    public async Task AnUndoOfARevisionRestoresTheEarlierDecision()
    {
        await using var h = await CreateHarnessAsync();
        var report = await h.SubmitAndRunAsync(TestImages.Generated(71));
        var fileId = report.Files[0].Id;
        await using var window = new DecisionUndoWindow(h.Decisions, h.Store, h.Test.Time, TimeSpan.FromSeconds(10));
        var first = await window.DecideAsync(fileId, DecisionCategory.NonPertinent, null, false, TriageHarness.Analyst, null);
        h.Test.Time.Advance(TimeSpan.FromSeconds(11));
        await window.WhenIdleAsync();

        var revision = await window.DecideAsync(fileId, DecisionCategory.Comparison, null, false, TriageHarness.Analyst, null);
        var undone = await window.UndoAsync(revision.DecisionId, TriageHarness.Analyst, null);
        Assert.Equal(first.DecisionId, undone?.Restored?.Id);
        var current = (await h.Store.Triage.GetCurrentDecisionsAsync(report.Id))[fileId];
        Assert.Equal((first.DecisionId, DecisionCategory.NonPertinent), (current.Id, current.Category));
        Assert.Single(await h.Store.Triage.GetDecisionHistoryAsync(fileId));
    }
}

public sealed class DecisionUndoWindowTests_on_Sqlite() : DecisionUndoWindowTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class DecisionUndoWindowTests_on_Postgres(PostgresServer server) : DecisionUndoWindowTests(StoreBackend.Postgres(server));
