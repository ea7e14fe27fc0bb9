using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Needle.Application.Lists;
using Needle.Core.Triage;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Robust;
using Needle.Testing;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// Two real ONNX models of the same shape: the default ResNet18 and a copy of it with one weight changed (written to a
/// temporary folder). Their descriptors are close but not comparable in general, so their identities differ.
/// </summary>
public sealed class TwoRobustModelsFixture : IDisposable
{
    private readonly string _folder;

    public TwoRobustModelsFixture()
    {
        Default = new ImageDescriptorModel(new RobustModelOptions());
        DefaultExtractor = new RobustFeatureExtractor(Default);
        _folder = Directory.CreateTempSubdirectory("needle-model-").FullName;
        var bytes = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, RobustModelOptions.DefaultModelFile));

        // The middle of the file lies inside a last-stage convolution's weights (9.4 MB of little-endian floats from byte
        // 28,323,304): flipping the lowest bit of each byte of 4 KiB there changes about a thousand weights of one filter
        // (each by a factor of at most 4: no byte's lowest bit is above an exponent's second bit) and leaves the file a
        // valid model of the same shape. One weight alone can fall on a channel this photo leaves at zero.
        for (var i = 0; i < 4096; i++)
        {
            bytes[(bytes.Length / 2) + i] ^= 1;
        }
        var path = Path.Combine(_folder, "resnet18-changed.onnx");
        File.WriteAllBytes(path, bytes);
        Other = new ImageDescriptorModel(new RobustModelOptions { ModelPath = path });
        OtherExtractor = new RobustFeatureExtractor(Other);
    }

    public ImageDescriptorModel Default { get; }

    public RobustFeatureExtractor DefaultExtractor { get; }

    public ImageDescriptorModel Other { get; }

    public RobustFeatureExtractor OtherExtractor { get; }

    public void Dispose()
    {
        Default.Dispose();
        Other.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>
/// Descriptors record the model that made them: after a model change the server reuses, holds, compares and links
/// only features of the model in use, and a list's robust entries of another model are skipped with one warning per
/// list naming both models (never matched, never an error).
/// </summary>
public abstract class RobustModelIdentityTests(StoreBackend backend, TwoRobustModelsFixture models) : StoreBackedTests(backend)
{
    private static byte[] Photo(string name) => File.ReadAllBytes(TestPaths.PdqFile("photos/" + name));

    [Fact]
    public void The_default_model_has_the_default_identity_and_a_changed_copy_another()
    {
        Assert.Equal(RobustFeatures.DefaultModelId, models.Default.ModelId);
        Assert.True(RobustFeatures.IsModelId(models.Other.ModelId), models.Other.ModelId);
        Assert.NotEqual(models.Default.ModelId, models.Other.ModelId);

        // Entries of the default model keep the r1. value; another model's name it (r2.) and read back with it.
        using var image = new ImageDecoder().DecodeForDisplay(Photo("p01_keong_macan.png"), LocalFeatureExtractor.WorkingSize);
        var mine = models.DefaultExtractor.Extract(image)!;
        var theirs = models.OtherExtractor.Extract(image)!;
        Assert.StartsWith("r1.", mine.Encode(), StringComparison.Ordinal);
        Assert.StartsWith("r2.", theirs.Encode(), StringComparison.Ordinal);
        Assert.True(RobustFeatures.TryDecode(mine.Encode(), out var mineRead, out _));
        Assert.True(RobustFeatures.TryDecode(theirs.Encode(), out var theirsRead, out _));
        Assert.Equal(RobustFeatures.DefaultModelId, mineRead.ModelId);
        Assert.Equal(models.Other.ModelId, theirsRead.ModelId);
        Assert.Equal(theirs.Encode(), theirsRead.Encode());
        Assert.True(SignalTypes.Robust.TryNormalize(theirs.Encode(), out _, out var problem), problem);

        // One weight changed: the descriptors differ, so comparing them would be wrong in general.
        Assert.NotEqual(mine.Descriptor, theirs.Descriptor);
    }

    [Fact]
    public async Task After_a_model_change_only_features_of_the_model_in_use_are_reused_held_compared_and_linked()
    {
        await using var before = await TriageHarness.CreateAsync(Backend, robust: models.DefaultExtractor);
        var photo = Photo("p01_keong_macan.png");
        var first = await before.SubmitAndRunAsync(photo);
        var firstFile = first.Files[0].Id;

        // The same store, now served with the other model: an identical copy does not reuse the first's features.
        await using var after = await TriageHarness.CreateOnAsync(before.Test, models.OtherExtractor);
        var second = await after.SubmitAndRunAsync(photo);
        var secondFile = second.Files[0].Id;
        var counts = await after.Store.Robust.CountAsync();
        Assert.Equal((2L, 0L), (counts.WithFeatures, counts.Copies));
        Assert.StartsWith("r1.", await after.Store.Robust.GetFeaturesAsync(firstFile), StringComparison.Ordinal);
        Assert.StartsWith("r2.", await after.Store.Robust.GetFeaturesAsync(secondFile), StringComparison.Ordinal);

        // A third copy reuses the features of its own model's copy.
        var third = await after.SubmitAndRunAsync(photo);
        var thirdFile = third.Files[0].Id;
        counts = await after.Store.Robust.CountAsync();
        Assert.Equal((2L, 1L), (counts.WithFeatures, counts.Copies));
        Assert.Equal(await after.Store.Robust.GetFeaturesAsync(secondFile), await after.Store.Robust.GetFeaturesAsync(thirdFile));
        var rows = await after.Store.Robust.ReadDescriptorsAsync(0, 10);
        Assert.Equal([(firstFile, (string?)null), (secondFile, models.Other.ModelId), (thirdFile, models.Other.ModelId)], rows.Select(r => (r.FileId, r.Model)));

        // Similar files: each model's column holds, reads and finds only its own model's descriptors.
        Assert.Null(await after.Similar!.GetFeaturesAsync(firstFile));
        Assert.Null(await before.Similar!.GetFeaturesAsync(secondFile));
        var theirs = (await after.Similar.GetFeaturesAsync(secondFile))!;
        Assert.Equal(thirdFile, Assert.Single(await after.Similar.FindAsync(theirs.Descriptor, [second.Id], 10)).FileId);
        var mine = (await before.Similar.GetFeaturesAsync(firstFile))!;
        Assert.Empty(await before.Similar.FindAsync(mine.Descriptor, [first.Id], 10));

        // A cropped copy is linked by the robust tier only to files whose features its model made.
        var cropped = CopyEdits.Apply("crop10", photo);
        var croppedAfter = await after.SubmitAndRunAsync(cropped);
        var links = await after.Store.Triage.GetLinksAsync(croppedAfter.Id);
        Assert.Contains(links, l => l.Kind == LinkKind.Robust && (l.OtherFileId == secondFile || l.OtherFileId == thirdFile));
        Assert.DoesNotContain(links, l => l.Kind == LinkKind.Robust && l.OtherFileId == firstFile);

        // Served with the default model again, the same cropped copy gets features of its own (not the other model's),
        // finds only the first file among similar ones, and is linked by the robust tier to no file of the other model.
        var croppedBefore = await before.SubmitAndRunAsync(cropped);
        counts = await before.Store.Robust.CountAsync();
        Assert.Equal((4L, 1L), (counts.WithFeatures, counts.Copies));
        var croppedMine = (await before.Similar.GetFeaturesAsync(croppedBefore.Files[0].Id))!;
        Assert.Equal(RobustFeatures.DefaultModelId, croppedMine.ModelId);
        Assert.Equal([firstFile], (await before.Similar.FindAsync(croppedMine.Descriptor, [croppedBefore.Id], 10)).Select(f => f.FileId));
        links = await before.Store.Triage.GetLinksAsync(croppedBefore.Id);
        Assert.DoesNotContain(links, l => l.Kind == LinkKind.Robust && l.OtherFileId != firstFile);
    }

    [Fact]
    public async Task A_list_entry_of_another_model_is_skipped_with_one_warning_naming_the_list_and_both_models()
    {
        await using var t = await CreateStoreAsync();
        var logs = new Logs();
        using var node = await HashListService.LoadAsync(t.Store.Lists, t.Time, null, null, null, logs);
        var decoder = new ImageDecoder();
        using var original = decoder.DecodeForDisplay(Photo("p01_keong_macan.png"), LocalFeatureExtractor.WorkingSize);
        using var cropped = decoder.DecodeForDisplay(CopyEdits.Apply("crop10", Photo("p01_keong_macan.png")), LocalFeatureExtractor.WorkingSize);
        var otherEntry = models.OtherExtractor.Extract(original)!.Encode();
        var defaultEntry = models.DefaultExtractor.Extract(original)!.Encode();

        await node.CreateListAsync("built-elsewhere", HashListKind.Known, null, "admin");
        await node.AddEntriesAsync("built-elsewhere", [new HashListEntry(SignalTypes.Robust, otherEntry) { Label = "other" }], "admin");
        await node.CreateListAsync("built-here", HashListKind.Known, null, "admin");
        await node.AddEntriesAsync("built-here", [new HashListEntry(SignalTypes.Robust, defaultEntry) { Label = "mine" }], "admin");
        node.UseRobust(models.DefaultExtractor);

        // Only the entry of the model in use matches; the other is skipped, not matched and not an error.
        var query = models.DefaultExtractor.Extract(cropped)!;
        var match = Assert.Single(node.MatchRobust(cropped, query).Matches);
        Assert.Equal(("built-here", "mine"), (match.ListName, match.Entry.Label));
        var warning = Assert.Single(logs.Lines, l => l.Contains("built-elsewhere", StringComparison.Ordinal));
        Assert.StartsWith("Warning:", warning, StringComparison.Ordinal);
        Assert.Contains(models.Other.ModelId, warning, StringComparison.Ordinal);
        Assert.Contains(models.Default.ModelId, warning, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains("built-here", StringComparison.Ordinal));

        // More entries of that model, and a rebuild: still one warning for the list.
        await node.AddEntriesAsync("built-elsewhere", [new HashListEntry(SignalTypes.Robust, models.OtherExtractor.Extract(cropped)!.Encode())], "admin");
        node.UseRobust(models.DefaultExtractor);
        Assert.Single(node.MatchRobust(cropped, query).Matches);
        Assert.Single(logs.Lines, l => l.Contains("built-elsewhere", StringComparison.Ordinal));

        // The same list served with the other model: its entries match, the default model's list is the one skipped.
        node.UseRobust(models.OtherExtractor);
        var otherQuery = models.OtherExtractor.Extract(cropped)!;
        Assert.All(node.MatchRobust(cropped, otherQuery).Matches, m => Assert.Equal("built-elsewhere", m.ListName));
        Assert.NotEmpty(node.MatchRobust(cropped, otherQuery).Matches);
        Assert.Single(logs.Lines, l => l.Contains("built-here", StringComparison.Ordinal));
    }

    /// <summary>Log lines as written.</summary>
    private sealed class Logs : ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
    }
}

public sealed class RobustModelIdentityTests_on_Sqlite(TwoRobustModelsFixture models) : RobustModelIdentityTests(StoreBackend.Sqlite, models), IClassFixture<TwoRobustModelsFixture>;

[Collection(PostgresCollection.Name)]
public sealed class RobustModelIdentityTests_on_Postgres(PostgresServer server, TwoRobustModelsFixture models) : RobustModelIdentityTests(StoreBackend.Postgres(server), models), IClassFixture<TwoRobustModelsFixture>;
