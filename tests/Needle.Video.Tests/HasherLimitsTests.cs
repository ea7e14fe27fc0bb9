namespace Needle.Video.Tests;

public sealed class HasherLimitsTests(TestVideos videos) : IClassFixture<TestVideos>
{
    [Fact]
    public void Garbage_gives_a_clean_error_with_ffmpegs_words()
    {
        var path = Path.Combine(videos.Folder, "garbage.mp4");
        var random = new Random(7);
        var bytes = new byte[50_000];
        random.NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<VideoHashException>(() => new VideoHasher().Hash(path));
        Assert.Contains("not a readable video", error.Message, StringComparison.Ordinal);
        Assert.Contains("Invalid data", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(ChildProcesses.Ffmpeg());
    }

    [Fact]
    public void A_truncated_video_gives_a_clean_error()
    {
        var path = Path.Combine(videos.Folder, "truncated.mp4");
        var bytes = File.ReadAllBytes(videos.Source);
        File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<VideoHashException>(() => new VideoHasher().Hash(path));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Empty(ChildProcesses.Ffmpeg());
    }

    [Fact]
    public void Empty_and_missing_files_are_refused()
    {
        var empty = Path.Combine(videos.Folder, "empty.mp4");
        File.WriteAllBytes(empty, []);
        Assert.Contains("empty", Assert.Throws<VideoHashException>(() => new VideoHasher().Hash(empty)).Message, StringComparison.Ordinal);
        Assert.Contains("not found", Assert.Throws<VideoHashException>(() => new VideoHasher().Hash(empty + ".nope")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_refuse_large_long_or_big_frame_videos()
    {
        Assert.Contains("byte limit", Assert.Throws<VideoHashException>(() => new VideoHasher(new VideoHashOptions { MaxFileSize = 1000 }).Hash(videos.Source)).Message, StringComparison.Ordinal);
        Assert.Contains("s limit", Assert.Throws<VideoHashException>(() => new VideoHasher(new VideoHashOptions { MaxDuration = TimeSpan.FromSeconds(30) }).Hash(videos.Source)).Message, StringComparison.Ordinal);
        Assert.Contains("pixel limit", Assert.Throws<VideoHashException>(() => new VideoHasher(new VideoHashOptions { MaxFramePixels = 10_000 }).Hash(videos.Source)).Message, StringComparison.Ordinal);
        var truncated = new VideoHasher(new VideoHashOptions { MaxFrames = 5 }).Hash(videos.Source);
        Assert.True(truncated.Truncated);
        Assert.Equal(5, truncated.Frames.Count);
        Assert.Empty(ChildProcesses.Ffmpeg());
    }

    [Fact]
    public void A_time_out_kills_ffmpeg_and_leaves_no_process_behind()
    {
        // Every frame of the 60 s source, 5x upscaled: far longer than the 300 ms allowed.
        var hasher = new VideoHasher(new VideoHashOptions { Timeout = TimeSpan.FromMilliseconds(300), SecondsPerHash = 0, DownsampleSize = 1600 });
        var error = Assert.Throws<VideoHashException>(() => hasher.Hash(videos.Source));
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
        Assert.Empty(ChildProcesses.Ffmpeg());
    }

    [Fact]
    public void Cancellation_kills_ffmpeg_and_throws_operation_cancelled()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var hasher = new VideoHasher(new VideoHashOptions { SecondsPerHash = 0, DownsampleSize = 1600 });
        Assert.ThrowsAny<OperationCanceledException>(() => hasher.Hash(videos.Source, cancel.Token));
        Assert.Empty(ChildProcesses.Ffmpeg());
    }

    [Fact]
    public void A_missing_ffmpeg_is_a_clear_error()
    {
        var hasher = new VideoHasher(new VideoHashOptions { FfprobePath = "/nonexistent/ffprobe" });
        Assert.Contains("cannot run", Assert.Throws<VideoHashException>(() => hasher.Hash(videos.Source)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hostile_file_names_are_passed_as_plain_files()
    {
        // A name that ffmpeg would otherwise read as a protocol.
        var dir = Directory.CreateDirectory(Path.Combine(videos.Folder, "concat:x"));
        var path = Path.Combine(dir.FullName, "-i.mp4");
        File.Copy(videos.Clip, path);
        Assert.NotEmpty(new VideoHasher().Hash(path).Frames);
    }
}
