using Needle.Application.Lists;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Robust;
using Needle.Testing;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>The robust model loaded once for a test class.</summary>
public sealed class RobustModelFixture : IDisposable
{
    public RobustModelFixture()
    {
        Model = new ImageDescriptorModel(new RobustModelOptions());
        Extractor = new RobustFeatureExtractor(Model);
    }

    public ImageDescriptorModel Model { get; }

    public RobustFeatureExtractor Extractor { get; }

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The robust entries of the lists follow every change on every node: an entry added, disabled, enabled again or
/// removed on one node is seen by that node at once and by another node on the same database after it reads the
/// change log, without a restart; entries of other signals leave the robust matcher alone.
/// </summary>
public abstract class RobustListFollowTests(StoreBackend backend, RobustModelFixture robust) : StoreBackedTests(backend)
{
    private static readonly ImageDecoder Decoder = new();

    private static string Photo => TestPaths.PdqFile("photos/p01_keong_macan.png");

    private (DecodedImage Image, RobustFeatures Features) Describe(byte[] file)
    {
        var image = Decoder.DecodeForDisplay(file, LocalFeatureExtractor.WorkingSize);
        return (image, robust.Extractor.Extract(image)!);
    }

    private static int Matches(HashListService node, (DecodedImage Image, RobustFeatures Features) query) =>
        node.MatchRobust(query.Image, query.Features).Matches.Count;

    [Fact]
    public async Task Robust_entries_added_disabled_enabled_and_removed_reach_every_node_without_a_restart()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        using var otherNode = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        host.UseRobust(robust.Extractor);
        otherNode.UseRobust(robust.Extractor);
        Assert.False(host.HasRobustEntries);

        var original = Describe(File.ReadAllBytes(Photo));
        var cropped = Describe(CopyEdits.Apply("crop10", File.ReadAllBytes(Photo)));
        using (original.Image)
        using (cropped.Image)
        {
            await host.CreateListAsync("org", HashListKind.Known, null, "admin");
            var added = await host.AddEntriesAsync(
                "org",
                [new HashListEntry(SignalTypes.Robust, original.Features.Encode()) { Label = "keong" }, new HashListEntry(SignalTypes.Md5, new string('a', 32))],
                "admin");
            var entry = added.Single(e => e.SignalType == SignalTypes.Robust).Id;

            // This node at once; the other after reading the change log.
            Assert.Equal(1, Matches(host, cropped));
            Assert.Equal(0, Matches(otherNode, cropped));
            await otherNode.CatchUpAsync();
            Assert.Equal(1, Matches(otherNode, cropped));
            var match = Assert.Single(otherNode.MatchRobust(cropped.Image, cropped.Features).Matches);
            Assert.Equal(("org", entry, "keong", "robust"), (match.ListName, match.Entry.Id, match.Entry.Label, match.SignalType.Name));
            Assert.True(match.Robust!.Inliers >= 15);

            Assert.True(await host.SetEntryEnabledAsync("org", entry, false, "admin"));
            Assert.Equal(0, Matches(host, cropped));
            await otherNode.CatchUpAsync();
            Assert.Equal(0, Matches(otherNode, cropped));

            // Enabled again: one match each, never two.
            Assert.True(await host.SetEntryEnabledAsync("org", entry, true, "admin"));
            Assert.Equal(1, Matches(host, cropped));
            await otherNode.CatchUpAsync();
            Assert.Equal(1, Matches(otherNode, cropped));

            // Removing another signal's entry changes nothing; removing the robust one ends the matches.
            Assert.True(await host.RemoveEntryAsync("org", added.Single(e => e.SignalType == SignalTypes.Md5).Id, "admin"));
            await otherNode.CatchUpAsync();
            Assert.Equal(1, Matches(otherNode, cropped));
            Assert.True(await host.RemoveEntryAsync("org", entry, "admin"));
            Assert.Equal(0, Matches(host, cropped));
            await otherNode.CatchUpAsync();
            Assert.Equal(0, Matches(otherNode, cropped));
            Assert.False(otherNode.HasRobustEntries);

            // A list deleted on one node takes its robust entries from the other too.
            await host.AddEntriesAsync("org", [new HashListEntry(SignalTypes.Robust, original.Features.Encode())], "admin");
            await otherNode.CatchUpAsync();
            Assert.Equal(1, Matches(otherNode, cropped));
            Assert.True(await host.DeleteListAsync("org", "admin"));
            await otherNode.CatchUpAsync();
            Assert.Equal(0, Matches(otherNode, cropped));
            Assert.Equal(0, Matches(host, cropped));
        }
    }
}

public sealed class RobustListFollowTests_on_Sqlite(RobustModelFixture robust) : RobustListFollowTests(StoreBackend.Sqlite, robust), IClassFixture<RobustModelFixture>;

[Collection(PostgresCollection.Name)]
public sealed class RobustListFollowTests_on_Postgres(PostgresServer server, RobustModelFixture robust) : RobustListFollowTests(StoreBackend.Postgres(server), robust), IClassFixture<RobustModelFixture>;
