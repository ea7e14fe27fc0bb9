using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Testing;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class MatchLookupTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task LooksUpMediaAndHashesWithoutStoringAnything()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        await host.CreateListAsync("known", HashListKind.Known, null, "admin");
        var entries = TestLists.Import(TestLists.PhotoCsv("p08_video_frame.png"));
        await host.AddEntriesAsync("known", entries, "admin");
        var auditBefore = (await t.AuditEntriesAsync()).Count;
        var lookup = new MatchLookup(host, new ImageDecoder(timeProvider: t.Time));

        var bytes = File.ReadAllBytes(TestPaths.PdqFile("variants/p08__jpeg_q50.jpg"));
        var found = lookup.LookupMediaWithHashes(bytes, "upload.jpg");
        Assert.Equal(MatchStatus.Match, found.Match.Status);
        Assert.True(found.Hashes.Succeeded);
        Assert.NotNull(found.Hashes.Md5);
        Assert.Equal(MatchStatus.Match, lookup.LookupMedia(bytes, "upload.jpg").Status);
        Assert.Equal(MatchStatus.NoMatch, lookup.LookupMedia("not an image"u8.ToArray(), "x.bin").Status);

        Assert.Equal(MatchStatus.Match, lookup.LookupHashes(new ReporterHashes { Pdq = entries[0].Value.ToUpperInvariant() }).Status);
        Assert.Equal(MatchStatus.NoMatch, lookup.LookupHashes(new ReporterHashes { Md5 = new string('0', 32) }).Status);
        Assert.Throws<ReportValidationException>(() => lookup.LookupHashes(new ReporterHashes { Md5 = "abc" }));
        Assert.Throws<ReportValidationException>(() => lookup.LookupHashes(new ReporterHashes()));

        Assert.Equal(auditBefore, (await t.AuditEntriesAsync()).Count);
    }
}

public sealed class MatchLookupTests_on_Sqlite() : MatchLookupTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class MatchLookupTests_on_Postgres(PostgresServer server) : MatchLookupTests(StoreBackend.Postgres(server));
