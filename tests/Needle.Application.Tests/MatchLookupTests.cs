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

    [Theory]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    [InlineData(1, "start,end,start,end")]
    [InlineData(2, "start,start,end,end")]
    public async Task Video_lookups_beyond_the_limit_wait_their_turn(int maxConcurrentVideos, string expected)
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        var folder = Directory.CreateTempSubdirectory("needle-lookup-slots-").FullName;
        try
        {
            // An ffmpeg that says when it starts and ends, and waits (at most 5 s) for a second one to start: two running
            // at once both start before either ends; one at a time cannot.
            var log = Path.Combine(folder, "ffmpeg.log");
            var ffmpeg = Path.Combine(folder, "ffmpeg");
            await File.WriteAllTextAsync(ffmpeg, $"#!/bin/sh\necho start >> {log}\ni=0\nwhile [ $(grep -c start {log}) -lt 2 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done\n/usr/bin/ffmpeg \"$@\"\ncode=$?\necho end >> {log}\nexit $code\n");
            File.SetUnixFileMode(ffmpeg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var video = await File.ReadAllBytesAsync(MakeClip(Path.Combine(folder, "clip.mp4")));
            using var lookup = new MatchLookup(
                host, new ImageDecoder(timeProvider: t.Time), new Needle.Video.VideoHashOptions { FfmpegPath = ffmpeg },
                mediaTempRoot: Path.Combine(folder, "media"), maxConcurrentVideos: maxConcurrentVideos);

            var results = await Task.WhenAll(
                Task.Run(() => lookup.LookupVideoAsync(video)),
                Task.Run(() => lookup.LookupVideoAsync(video)));

            Assert.All(results, result => Assert.NotNull(result.Video));
            Assert.Equal(expected, string.Join(',', await File.ReadAllLinesAsync(log)));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string MakeClip(string output)
    {
        var info = new System.Diagnostics.ProcessStartInfo("/usr/bin/ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=10:duration=2", "-pix_fmt", "yuv420p", output])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, "ffmpeg could not make the clip: " + stderr);
        return output;
    }
}

public sealed class MatchLookupTests_on_Sqlite() : MatchLookupTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class MatchLookupTests_on_Postgres(PostgresServer server) : MatchLookupTests(StoreBackend.Postgres(server));
