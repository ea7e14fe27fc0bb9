using Needle.Core.Triage;
using Needle.Matching.Lists;
using Needle.Testing;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// The robust tier in report processing and triage, as <c>needle serve</c> runs it, with real photos and the real
/// model: an identical copy (same SHA-256) stores a reference to the first copy's features instead of computing and
/// storing them again, and every reader still finds them (robust links, similar files, the confirmed list, the
/// robust match of a copy); a mirrored copy in another report is linked with kind robust, naming the mirror.
/// </summary>
public abstract class RobustCopyTests(StoreBackend backend, RobustModelFixture robust) : StoreBackedTests(backend)
{
    private static byte[] Photo(string name) => File.ReadAllBytes(TestPaths.PdqFile("photos/" + name));

    [Fact]
    public async Task A_second_identical_copy_stores_no_new_features_and_still_links_matches_and_shows_as_similar()
    {
        await using var h = await TriageHarness.CreateAsync(Backend, robust: robust.Extractor);
        var photo = Photo("p01_keong_macan.png");

        var first = await h.SubmitAndRunAsync(photo);
        var once = await h.Store.Robust.CountAsync();
        Assert.Equal((1L, 0L), (once.WithFeatures, once.Copies));
        Assert.True(once.FeatureBytes > 10_000, $"{once.FeatureBytes} bytes");

        // The copy: a reference, no second blob; its features read back as the first's.
        var second = await h.SubmitAndRunAsync(photo);
        var twice = await h.Store.Robust.CountAsync();
        Assert.Equal((1L, 1L, once.FeatureBytes), (twice.WithFeatures, twice.Copies, twice.FeatureBytes));
        var (firstFile, secondFile) = (first.Files[0].Id, second.Files[0].Id);
        var features = await h.Store.Robust.GetFeaturesAsync(firstFile);
        Assert.NotNull(features);
        Assert.Equal(features, await h.Store.Robust.GetFeaturesAsync(secondFile));
        var rows = await h.Store.Robust.ReadDescriptorsAsync(0, 10);
        Assert.Equal([firstFile, secondFile], rows.Select(r => r.FileId));
        Assert.Equal(rows[0].Descriptor, rows[1].Descriptor);

        // Similar files of the copy: the first one, as similar as can be.
        var mine = (await h.Similar!.GetFeaturesAsync(secondFile))!;
        var similar = Assert.Single(await h.Similar.FindAsync(mine.Descriptor, [second.Id], 10));
        Assert.Equal(firstFile, similar.FileId);
        Assert.True(similar.Similarity > 0.999, similar.ToString());

        // A cropped copy (no list holds it yet) is linked to both earlier reports: by the robust tier to one, and so
        // to the other through their shared cluster (listed with its PDQ distance).
        var cropped = CopyEdits.Apply("crop10", photo);
        var third = await h.SubmitAndRunAsync(cropped);
        Assert.Empty(third.Files[0].Matches);
        var links = await h.Store.Triage.GetLinksAsync(third.Id);
        Assert.Contains(links, l => l.Kind == LinkKind.Robust && (l.OtherFileId == firstFile || l.OtherFileId == secondFile));
        Assert.Contains(links, l => l.Kind is LinkKind.Robust or LinkKind.SimilarMedia && l.OtherFileId == firstFile);
        Assert.Contains(links, l => l.Kind is LinkKind.Robust or LinkKind.SimilarMedia && l.OtherFileId == secondFile);

        // Confirming the copy puts the shared robust entry on the organisation's list.
        var decided = await h.Decisions.DecideAsync(secondFile, DecisionCategory.ChildAbuseMaterial, null, false, TriageHarness.Analyst, null);
        var entry = Assert.Single(decided.OrganisationListEntries, e => e.SignalType == SignalTypes.Robust);
        Assert.Equal(features, entry.Value);

        // An identical copy of the cropped picture reuses its features, and still matches that entry by the robust tier.
        var fourth = await h.SubmitAndRunAsync(cropped);
        var after = await h.Store.Robust.CountAsync();
        Assert.Equal((2L, 2L), (after.WithFeatures, after.Copies));
        var match = Assert.Single(fourth.Files[0].Matches);
        Assert.Equal(("needle-confirmed", "robust", entry.Id), (match.ListName, match.SignalType, match.EntryId));
        Assert.True(match.Robust!.Inliers >= 15, match.Robust.ToString());
        Assert.Contains(await h.Store.Triage.GetLinksAsync(fourth.Id), l => l.Kind == LinkKind.SameMedia && l.OtherReportId == third.Id);
    }

    [Fact]
    public async Task A_mirrored_copy_in_another_report_is_linked_by_the_robust_tier_naming_the_mirror()
    {
        await using var h = await TriageHarness.CreateAsync(Backend, robust: robust.Extractor);
        var photo = Photo("p28_raccoon.png");
        var original = await h.SubmitAndRunAsync(photo);
        var unrelated = await h.SubmitAndRunAsync(Photo("p01_keong_macan.png"));

        // Left-right, drawn by SkiaSharp: no hash of the file as it is comes near the original's.
        var mirrored = await h.SubmitAndRunAsync(CopyEdits.Apply("mirror", photo));
        var links = await h.Store.Triage.GetLinksAsync(mirrored.Id);
        var link = Assert.Single(links, l => l.Kind == LinkKind.Robust);
        Assert.Equal((original.Id, mirrored.Files[0].Id, original.Files[0].Id), (link.OtherReportId, link.FileId, link.OtherFileId));
        Assert.StartsWith("robust:inliers=", link.Value, StringComparison.Ordinal);
        Assert.Contains("mirror,", link.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(links, l => l.OtherReportId == unrelated.Id);
        Assert.DoesNotContain(links, l => l.Kind is LinkKind.SameMedia or LinkKind.SimilarMedia);

        // Seen from the original, the link is there too.
        Assert.Contains(await h.Store.Triage.GetLinksAsync(original.Id), l => l.Kind == LinkKind.Robust && l.OtherReportId == mirrored.Id);

        // Similar files: the compact column's ranking and similarities equal an exact scan of the stored descriptors.
        var query = (await h.Similar!.GetFeaturesAsync(mirrored.Files[0].Id))!.Descriptor;
        var exact = new List<(Guid File, double Similarity)>();
        foreach (var row in await h.Store.Robust.ReadDescriptorsAsync(0, 100))
        {
            if (row.ReportId != mirrored.Id)
            {
                var values = new float[row.Descriptor.Length / 2];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = (float)System.Buffers.Binary.BinaryPrimitives.ReadHalfLittleEndian(row.Descriptor.AsSpan(i * 2));
                }

                exact.Add((row.FileId, Math.Round(Needle.Robust.DescriptorKernel.Dot(values, query), 4)));
            }
        }

        var found = await h.Similar.FindAsync(query, [mirrored.Id], 10);
        Assert.Equal(exact.OrderByDescending(e => e.Similarity).ToList(), found.Select(f => (f.FileId, f.Similarity)).ToList());
        Assert.Equal(original.Files[0].Id, found[0].FileId);
    }
}

public sealed class RobustCopyTests_on_Sqlite(RobustModelFixture robust) : RobustCopyTests(StoreBackend.Sqlite, robust), IClassFixture<RobustModelFixture>;

[Collection(PostgresCollection.Name)]
public sealed class RobustCopyTests_on_Postgres(PostgresServer server, RobustModelFixture robust) : RobustCopyTests(StoreBackend.Postgres(server), robust), IClassFixture<RobustModelFixture>;
