using Needle.Application.Triage;
using Needle.Hashing;
using Needle.Testing.Images;
using Needle.Testing.Postgres;
using SkiaSharp;

namespace Needle.Application.Tests;

public abstract class NearDuplicateMediaIndexTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private static byte[] Flat()
    {
        using var bitmap = new SKBitmap(200, 200);
        bitmap.Erase(new SKColor(120, 130, 140));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    [Fact]
    public async Task FollowsTheStoreIncrementallySkipsFlatImagesAndExcludesTheQueryingReport()
    {
        await using var h = await CreateHarnessAsync(new ScoringOptions { MediaRereadSequences = 1000 });
        var image = TestImages.Generated(120, 640, 480);
        var first = await h.SubmitAndRunAsync(image, Flat());
        Assert.Equal(1, h.Index.Count);

        var second = await h.SubmitAndRunAsync(TestImages.Resized(image, 320, 240, quality: 70));
        var pdq = PdqHash.Parse(second.Files[0].Pdq!);

        // Reading again (the re-read window) adds nothing twice.
        await h.Index.CatchUpAsync();
        await h.Index.CatchUpAsync();
        Assert.Equal(2, h.Index.Count);

        var near = Assert.Single(await h.Index.FindAsync(pdq, second.Id));
        Assert.Equal((first.Files.Single(f => f.Ordinal == 0).Id, first.Id), (near.FileId, near.ReportId));
        Assert.Equal(2, (await h.Index.FindAsync(pdq, Guid.Empty)).Count);
        Assert.Empty(await h.Index.FindAsync(pdq, second.Id, maxDistance: 0));
    }
}

public sealed class NearDuplicateMediaIndexTests_on_Sqlite() : NearDuplicateMediaIndexTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class NearDuplicateMediaIndexTests_on_Postgres(PostgresServer server) : NearDuplicateMediaIndexTests(StoreBackend.Postgres(server));
