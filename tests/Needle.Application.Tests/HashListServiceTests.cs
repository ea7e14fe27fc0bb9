using Needle.Application.Lists;
using Needle.Matching.Lists;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class HashListServiceTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private const string Variant = "variants/p08__jpeg_q50.jpg";

    [Fact]
    public async Task EntriesMatchAtOnceAndStopMatchingWhenDisabledOrRemoved()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        var signals = TestLists.SignalsOf(Variant);
        Assert.Equal(MatchStatus.NoMatch, host.Match(signals).Status);

        var list = await host.CreateListAsync("known-photos", HashListKind.Known, 40, "admin");
        Assert.Equal(40, list.PdqThreshold);
        var added = await host.AddEntriesAsync("known-photos",
            TestLists.Import(TestLists.PhotoCsv("p03_flower.png", "p08_video_frame.png", "p05_branches.png")), "admin");

        Assert.Equal(3, added.Count);
        Assert.All(added, static e => Assert.True(e.Id > 0));
        Assert.Equal(3, added.Select(static e => e.Id).Distinct().Count());

        var result = host.Match(signals);
        Assert.Equal(MatchStatus.Match, result.Status);
        var match = Assert.Single(result.Matches);
        Assert.Equal("known-photos", match.ListName);
        Assert.Equal("photos/p08_video_frame.png", match.Entry.Label);
        var p08 = added.Single(static e => e.Label == "photos/p08_video_frame.png");
        Assert.Equal(p08.Id, match.Entry.Id);
        Assert.InRange(match.Distance, 1, 31);

        Assert.True(await host.SetEntryEnabledAsync("known-photos", p08.Id, false, "admin"));
        Assert.Equal(MatchStatus.NoMatch, host.Match(signals).Status);
        Assert.True(await host.SetEntryEnabledAsync("known-photos", p08.Id, true, "admin"));
        Assert.Equal(MatchStatus.Match, host.Match(signals).Status);

        Assert.True(await host.RemoveEntryAsync("known-photos", p08.Id, "admin"));
        Assert.Equal(MatchStatus.NoMatch, host.Match(signals).Status);
        Assert.False(await host.RemoveEntryAsync("known-photos", p08.Id, "admin"));
        Assert.False(await host.SetEntryEnabledAsync("known-photos", p08.Id, true, "admin"));
        Assert.False(await host.SetEntryEnabledAsync("no-such-list", 1, true, "admin"));

        var actions = (await t.AuditEntriesAsync()).Select(static e => e.Action).ToList();
        Assert.Equal(["list.create", "list.entries.add", "list.entry.disable", "list.entry.enable", "list.entry.remove"], actions);
    }

    [Fact]
    public async Task AllowListsAndDeletedListsAreApplied()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        var signals = TestLists.SignalsOf(Variant);
        var entries = TestLists.Import(TestLists.PhotoCsv("p08_video_frame.png"));
        await host.CreateListAsync("known", HashListKind.Known, null, "admin");
        await host.AddEntriesAsync("known", entries, "admin");
        var matcherBefore = host.Matcher;

        await host.CreateListAsync("false-positives", HashListKind.Allow, null, "admin");
        Assert.NotSame(matcherBefore, host.Matcher);
        Assert.Equal(MatchStatus.Match, host.Match(signals).Status);
        await host.AddEntriesAsync("false-positives", entries, "admin");
        Assert.Equal(MatchStatus.Allowed, host.Match(signals).Status);

        Assert.True(await host.DeleteListAsync("false-positives", "admin"));
        Assert.Equal(MatchStatus.Match, host.Match(signals).Status);
        Assert.True(await host.DeleteListAsync("known", "admin"));
        Assert.Equal(MatchStatus.NoMatch, host.Match(signals).Status);
        Assert.False(await host.DeleteListAsync("known", "admin"));
        Assert.Empty(host.Lists);
        Assert.Empty(await t.Store.Lists.GetListsAsync());
    }

    [Fact]
    public async Task RefusesDuplicateNamesBadNamesAndUnknownLists()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        await host.CreateListAsync("a", HashListKind.Known, null, "admin");

        await Assert.ThrowsAsync<ListAlreadyExistsException>(() => host.CreateListAsync("a", HashListKind.Allow, null, "admin"));
        await Assert.ThrowsAsync<ArgumentException>(() => host.CreateListAsync("../etc", HashListKind.Known, null, "admin"));
        await Assert.ThrowsAsync<ArgumentException>(() => host.CreateListAsync("", HashListKind.Known, null, "admin"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => host.CreateListAsync("b", HashListKind.Known, 300, "admin"));
        await Assert.ThrowsAsync<ListNotFoundException>(() => host.AddEntriesAsync("zzz", [new HashListEntry(SignalTypes.Md5, new string('0', 32))], "admin"));
        Assert.Single(host.Lists);
    }

    [Fact]
    public async Task ReloadingFromTheStoreGivesTheSameLists()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        await host.CreateListAsync("photos", HashListKind.Known, 25, "admin");
        await host.CreateListAsync("allowed", HashListKind.Allow, null, "admin");
        var added = await host.AddEntriesAsync("photos", TestLists.Import(TestLists.PhotoCsv("p01_keong_macan.png", "p02_bliznaca.png", "p08_video_frame.png")), "admin");
        await host.AddEntriesAsync("allowed", [new HashListEntry(SignalTypes.Md5, "D41D8CD98F00B204E9800998ECF8427E") { Label = "empty file", Category = "fp" }], "admin");
        await host.SetEntryEnabledAsync("photos", added[1].Id, false, "admin");
        await host.RemoveEntryAsync("photos", added[0].Id, "admin");

        using var reloaded = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        await host.ReloadAsync();

        foreach (var other in new[] { reloaded, host })
        {
            Assert.Equal(Describe(host.Lists), Describe(other.Lists));
        }

        Assert.Equal(["allowed", "photos"], reloaded.Lists.Select(static l => l.Name));
        Assert.Equal(25, reloaded.FindList("photos")!.PdqThreshold);
        Assert.Equal(HashListKind.Allow, reloaded.FindList("allowed")!.Kind);
        Assert.Equal(2, reloaded.FindList("photos")!.Count);
        Assert.Equal(MatchStatus.Match, reloaded.Match(TestLists.SignalsOf(Variant)).Status);
        Assert.Equal(MatchStatus.NoMatch, reloaded.Match(TestLists.SignalsOf("photos/p02_bliznaca.png")).Status); // disabled
        Assert.Equal(MatchStatus.Match, host.Match(TestLists.SignalsOf(Variant)).Status);
    }

    [Fact]
    public async Task MatchesKeepWorkingWhileListsAreCreatedAndDeleted()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        await host.CreateListAsync("known", HashListKind.Known, null, "admin");
        await host.AddEntriesAsync("known", TestLists.Import(TestLists.PhotoCsv("p08_video_frame.png")), "admin");
        var signals = TestLists.SignalsOf(Variant);

        using var stop = new CancellationTokenSource();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var matching = Task.Run(() =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(MatchStatus.Match, host.Match(signals).Status);
                count++;
                started.TrySetResult();
            }

            return count;
        });

        // Start swapping matchers only once the matching thread is running, so the two really overlap.
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 20; i++)
        {
            await host.CreateListAsync($"temp-{i}", HashListKind.Known, null, "admin");
            await host.DeleteListAsync($"temp-{i}", "admin");
        }

        await stop.CancelAsync();
        Assert.True(await matching > 0);
    }

    private static List<string> Describe(IReadOnlyList<HashList> lists) =>
    [
        .. lists.SelectMany(static l => new[] { $"{l.Name} {l.Kind} pdq={l.PdqThreshold} explicit={l.HasExplicitThreshold(SignalTypes.Pdq)}" }
            .Concat(l.Entries.Select(e => $"  {e.Id} {e.SignalType.Name} {e.Value} {e.Label} {e.Category} {e.Source} {e.Enabled} {string.Join(",", e.Metadata.OrderBy(static m => m.Key))}"))),
    ];
}

public sealed class HashListServiceTests_on_Sqlite() : HashListServiceTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class HashListServiceTests_on_Postgres(PostgresServer server) : HashListServiceTests(StoreBackend.Postgres(server));
