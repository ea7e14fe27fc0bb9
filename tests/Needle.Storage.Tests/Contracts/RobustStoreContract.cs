using Needle.Core.Lists;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Matching.Lists;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IRobustStore"/>, and of a robust match's details kept with the file's matches.</summary>
public abstract class RobustStoreContract : StoreContract
{
    [Fact]
    public async Task Features_are_stored_once_per_file_and_followed_in_sequence_order()
    {
        var report = TestData.SmallReport(Time.GetUtcNow(), files: 3);
        await SubmitAsync(report);
        var first = new RobustFeatureRow(report.Files[0].Id, report.Id, [1, 2, 3, 4], "r1.AAAA");
        var second = new RobustFeatureRow(report.Files[1].Id, report.Id, [5, 6, 7, 8], "r1.BBBB");
        await Store.Robust.SaveAsync(first);
        await Store.Robust.SaveAsync(second);

        // Computed the same each time: a job run twice keeps the first row.
        await Store.Robust.SaveAsync(first with { Features = "r1.CCCC" });

        Assert.Equal("r1.AAAA", await Store.Robust.GetFeaturesAsync(first.FileId));
        Assert.Equal("r1.BBBB", await Store.Robust.GetFeaturesAsync(second.FileId));
        Assert.Null(await Store.Robust.GetFeaturesAsync(report.Files[2].Id));

        var rows = await Store.Robust.ReadDescriptorsAsync(0, 10);
        Assert.Equal([first.FileId, second.FileId], rows.Select(r => r.FileId));
        Assert.All(rows, r => Assert.Equal(report.Id, r.ReportId));
        Assert.Equal(first.Descriptor, rows[0].Descriptor);
        Assert.True(rows[1].Sequence > rows[0].Sequence);

        var later = await Store.Robust.ReadDescriptorsAsync(rows[0].Sequence, 10);
        Assert.Equal([second.FileId], later.Select(r => r.FileId));
        Assert.Single(await Store.Robust.ReadDescriptorsAsync(0, 1));

        // Kept across a restart.
        await ReopenAsync();
        Assert.Equal("r1.BBBB", await Store.Robust.GetFeaturesAsync(second.FileId));
    }

    [Fact]
    public async Task Features_are_found_for_copies_only_within_the_model_that_made_them()
    {
        var report = TestData.SmallReport(Time.GetUtcNow(), files: 3);
        await SubmitAsync(report);
        var sha256 = new string('c', 64);
        var other = new string('d', 64);

        // The default model's row (no model recorded) is not found for another model, and the reverse.
        var mine = new RobustFeatureRow(report.Files[0].Id, report.Id, [1, 2, 3, 4], "r1.AAAA") { Sha256 = sha256 };
        await Store.Robust.SaveAsync(mine);
        Assert.Null(await Store.Robust.FindBySha256Async(sha256, other));
        var theirs = new RobustFeatureRow(report.Files[1].Id, report.Id, [5, 6, 7, 8], "r2.BBBB") { Sha256 = sha256, Model = other };
        await Store.Robust.SaveAsync(theirs);
        Assert.Equal(mine.FileId, await Store.Robust.FindBySha256Async(sha256));
        Assert.Equal(mine.FileId, await Store.Robust.FindBySha256Async(sha256, null));
        Assert.Equal(theirs.FileId, await Store.Robust.FindBySha256Async(sha256, other));
        Assert.Null(await Store.Robust.FindBySha256Async(sha256, new string('e', 64)));

        // A copy's descriptor row carries its source's model.
        Assert.True(await Store.Robust.SaveCopyAsync(report.Files[2].Id, report.Id, theirs.FileId));
        var rows = await Store.Robust.ReadDescriptorsAsync(0, 10);
        Assert.Equal([(mine.FileId, (string?)null), (theirs.FileId, other), (report.Files[2].Id, other)], rows.Select(r => (r.FileId, r.Model)));
        Assert.All(await Store.Robust.ReadDescriptorsOfAsync([report.Files[2].Id]), r => Assert.Equal(other, r.Model));
    }

    [Fact]
    public async Task An_identical_copy_refers_to_the_stored_features_and_reads_them_back()
    {
        var report = TestData.SmallReport(Time.GetUtcNow(), files: 3);
        await SubmitAsync(report);
        var sha256 = new string('a', 64);
        Assert.Null(await Store.Robust.FindBySha256Async(sha256));
        var owner = new RobustFeatureRow(report.Files[0].Id, report.Id, [1, 2, 3, 4], "r1.AAAA") { Sha256 = sha256 };
        await Store.Robust.SaveAsync(owner);
        Assert.Equal(owner.FileId, await Store.Robust.FindBySha256Async(sha256));
        Assert.Null(await Store.Robust.FindBySha256Async(new string('b', 64)));

        // A copy stores a reference: no second blob, the same features and descriptor read back, in sequence order.
        Assert.True(await Store.Robust.SaveCopyAsync(report.Files[1].Id, report.Id, owner.FileId));
        Assert.Equal(new RobustFeatureCounts(1, 1, 4 + "r1.AAAA".Length), await Store.Robust.CountAsync());
        Assert.Equal("r1.AAAA", await Store.Robust.GetFeaturesAsync(report.Files[1].Id));
        var rows = await Store.Robust.ReadDescriptorsAsync(0, 10);
        Assert.Equal([owner.FileId, report.Files[1].Id], rows.Select(r => r.FileId));
        Assert.Equal(owner.Descriptor, rows[1].Descriptor);
        var some = await Store.Robust.ReadDescriptorsOfAsync([report.Files[2].Id, report.Files[1].Id, owner.FileId]);
        Assert.Equal([owner.FileId, report.Files[1].Id], some.OrderBy(r => r.Sequence).Select(r => r.FileId));
        Assert.All(some, r => Assert.Equal(owner.Descriptor, r.Descriptor));
        Assert.Empty(await Store.Robust.ReadDescriptorsOfAsync([]));

        // The owner stays the one found (the copy holds no features); a file with no features cannot be referred to.
        Assert.Equal(owner.FileId, await Store.Robust.FindBySha256Async(sha256));
        Assert.False(await Store.Robust.SaveCopyAsync(report.Files[2].Id, report.Id, report.Files[1].Id));
        Assert.Null(await Store.Robust.GetFeaturesAsync(report.Files[2].Id));

        // Saved again (a job run twice), nothing changes.
        Assert.True(await Store.Robust.SaveCopyAsync(report.Files[1].Id, report.Id, owner.FileId));
        await Store.Robust.SaveAsync(owner);
        Assert.Equal(new RobustFeatureCounts(1, 1, 4 + "r1.AAAA".Length), await Store.Robust.CountAsync());
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.Robust.SaveCopyAsync(Guid.NewGuid(), report.Id, owner.FileId));

        await ReopenAsync();
        Assert.Equal("r1.AAAA", await Store.Robust.GetFeaturesAsync(report.Files[1].Id));
    }

    [Fact]
    public async Task Features_of_a_file_that_does_not_exist_are_refused()
    {
        var missing = Guid.NewGuid();
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.Robust.SaveAsync(new RobustFeatureRow(missing, Guid.NewGuid(), [1, 2], "r1.AAAA")));
        Assert.Empty(await Store.Robust.ReadDescriptorsAsync(0, 10));
    }

    [Fact]
    public async Task A_list_holds_robust_entries_of_any_size()
    {
        // A real entry is ~25 KB of base64 (descriptor and 500 keypoints): over PostgreSQL's btree row limit.
        var value = new RobustFeatures(512, 384, [.. Enumerable.Range(0, 512).Select(i => i % 7 / 7f)], [.. Enumerable.Range(0, 1000).Select(i => i % 500f)],
            [.. Enumerable.Range(0, 500 * RobustFeatures.KeypointDescriptorBytes).Select(i => (byte)i)]).Encode();
        Assert.True(value.Length > 20_000);
        Assert.True(await Store.Lists.CreateListAsync(new StoredList("org", HashListKind.Known, null, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        var added = await Store.Lists.AddEntriesAsync("org", [new HashListEntry(SignalTypes.Robust, value) { Label = "file" }], TestData.EntriesAudit);

        var stored = Assert.Single(await Store.Lists.GetEntriesAsync("org"));
        Assert.Equal((added[0].Id, "robust", value), (stored.Id, stored.SignalType.Name, stored.Value));
    }

    [Fact]
    public async Task A_robust_match_keeps_its_inliers_transform_and_similarity()
    {
        var report = TestData.SmallReport(Time.GetUtcNow(), files: 1);
        await SubmitAsync(report);
        var details = new RobustMatchDetails(42, -5.1, 0.9, true, 0.05, 0.1, 0.9, 0.8, 0.8734);
        var match = new StoredMatch("needle-confirmed", 7, "label", "1", "robust", "robust:0123456789abcdef", 0.1266, "robust(" + details.Describe() + ")", false) { Robust = details };
        Assert.True(await Store.Jobs.CompleteReportAsync(await LeaseAsync(), TestData.Results(report, match)));

        var stored = Assert.Single((await Store.Reports.GetAsync(report.Id))!.Files[0].Matches);
        Assert.Equal(details, stored.Robust);
        Assert.Equal("robust", stored.SignalType);
        Assert.Equal(match.Transform, stored.Transform);
        Assert.Null(stored.Video);
    }
}
