using System.Diagnostics;
using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Application.Processing;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>Report processing of a real video (made by ffmpeg) while the fake clock runs past its lease many times.</summary>
public abstract class VideoProcessingTests(StoreBackend backend) : StoreBackedTests(backend), IAsyncLifetime
{
    private static readonly Guid Submitter = Guid.Parse("0195a000-0000-7000-8000-000000000002");
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "needle-triage-video-" + Guid.NewGuid().ToString("N")[..8]);

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "tmp"));
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_folder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_video_longer_to_hash_than_the_lease_keeps_its_job_and_leaves_no_decrypted_copy()
    {
        var path = Path.Combine(_folder, "long.mp4");
        RunFfmpeg("-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=10", "-t", "40", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path);

        // The real ffmpeg, held back until the test lets it go (a file appears), so the hashing outlasts several leases on
        // any machine, however loaded.
        var slowFfmpeg = Path.Combine(_folder, "slow-ffmpeg");
        var go = Path.Combine(_folder, "go");
        File.WriteAllText(slowFfmpeg, $"#!/bin/sh\nwhile [ ! -f {go} ]; do sleep 0.1; done\nexec ffmpeg \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(slowFfmpeg, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var submitted = await intake.SubmitAsync(new ReportSubmission(), [new IncomingMedia("v", "long.mp4", "video/mp4", File.ReadAllBytes(path))], Submitter, null, null);
        var options = new ProcessorOptions
        {
            Lease = TimeSpan.FromSeconds(2),
            VideoTempDirectory = Path.Combine(_folder, "tmp"),
            Video = new ProcessorOptions().Video! with { FfmpegPath = slowFfmpeg },
        };
        var processor = new ReportProcessor(t.Store, host, t.Protector, t.Time, options);
        var job = await t.Store.Jobs.TryLeaseAsync("worker-1", options.Lease);
        Assert.NotNull(job);

        // The clock runs 2 fake seconds per real second while ffmpeg works: several leases pass during the hashing,
        // and a second worker keeps trying to take the job over; the renewals keep it with worker 1.
        var processing = processor.ProcessAsync(job);
        var started = t.Time.GetUtcNow();
        while (!processing.IsCompleted)
        {
            t.Time.Advance(TimeSpan.FromMilliseconds(100));
            if (t.Time.GetUtcNow() - started > options.Lease * 3 && !File.Exists(go))
            {
                await File.WriteAllTextAsync(go, "");
            }

            await Task.Delay(50);
            // The only job worker 2 may get is the triage job that the completion enqueues, never the video's.
            var other = await t.Store.Jobs.TryLeaseAsync("worker-2", options.Lease);
            Assert.True(other is null || other.Kind == JobKinds.TriageReport, $"worker 2 took a {other?.Kind} job while worker 1 held the video's");
        }

        Assert.Equal(ProcessOutcome.Completed, await processing);
        Assert.True(t.Time.GetUtcNow() - started > options.Lease * 2, "the hashing did not outlast the lease; make the video longer");
        var file = Assert.Single((await t.Store.Reports.GetAsync(submitted.ReportId))!.Files);
        Assert.Equal(FileState.Hashed, file.State);
        Assert.Equal(40, file.Video!.HashedFrames);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_folder, "tmp"), "*", SearchOption.AllDirectories));
    }

    private static void RunFfmpeg(params string[] arguments)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["-hide_banner", "-nostdin", "-v", "error", "-y", .. arguments])
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, stderr);
    }
}

public sealed class VideoProcessingTests_on_Sqlite() : VideoProcessingTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class VideoProcessingTests_on_Postgres(PostgresServer server) : VideoProcessingTests(StoreBackend.Postgres(server));
