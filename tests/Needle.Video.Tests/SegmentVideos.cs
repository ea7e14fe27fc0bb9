namespace Needle.Video.Tests;

/// <summary>
/// Benign videos for segment-parallel hashing, made once per test class by ffmpeg: 320x240 Mandelbrot zooms of 16-24 s,
/// with B-frames, in closed and open GOPs, H.264 and HEVC, constant and variable frame rate, MP4 and Matroska.
/// </summary>
public sealed class SegmentVideos : IDisposable
{
    public SegmentVideos()
    {
        Folder = Path.Combine(Path.GetTempPath(), "needle-segment-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(Folder);
        string[] zoom = ["-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=30"];
        // x264 veryfast: 3 B-frames with pyramid; a key frame every 1.6 s (IDR: closed GOPs) and an AAC track.
        ClosedH264 = Make("closed-h264.mp4", [.. zoom, "-f", "lavfi", "-i", "sine=frequency=440", "-t", "24", "-c:v", "libx264", "-preset", "veryfast", "-g", "48", "-pix_fmt", "yuv420p", "-c:a", "aac"]);
        OpenH264 = Make("open-h264.mp4", [.. zoom, "-t", "16", "-c:v", "libx264", "-preset", "veryfast", "-g", "48", "-x264-params", "open-gop=1", "-pix_fmt", "yuv420p"]);
        ClosedHevc = Make("closed-hevc.mp4", [.. zoom, "-t", "16", "-c:v", "libx265", "-preset", "veryfast", "-x265-params", "log-level=error:keyint=48:open-gop=0", "-pix_fmt", "yuv420p"]);
        // x265's default: CRA key frames with leading pictures (open GOPs).
        OpenHevc = Make("open-hevc.mp4", [.. zoom, "-t", "16", "-c:v", "libx265", "-preset", "veryfast", "-x265-params", "log-level=error:keyint=48", "-pix_fmt", "yuv420p"]);
        // Every third frame is followed by a gap of another 1.5 frames: frame durations vary, and the MP4 keeps them so.
        Vfr = Make("vfr-h264.mp4", [.. zoom, "-t", "24", "-vf", "setpts='(N+floor(N/3)*1.5)/(30*TB)'", "-fps_mode", "vfr", "-c:v", "libx264", "-preset", "veryfast", "-g", "40", "-pix_fmt", "yuv420p"]);
        // 29.97 fps in a MOV with a 1/30000 time base: key frame times are not whole microseconds.
        Ntsc = Make("ntsc-h264.mov", ["-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=30000/1001", "-t", "16", "-c:v", "libx264", "-preset", "veryfast", "-g", "45", "-pix_fmt", "yuv420p", "-video_track_timescale", "30000"]);
        Matroska = Make("closed-h264.mkv", ["-i", ClosedH264, "-c", "copy"]);
    }

    public string Folder { get; }

    public string ClosedH264 { get; }

    public string OpenH264 { get; }

    public string ClosedHevc { get; }

    public string OpenHevc { get; }

    public string Vfr { get; }

    public string Ntsc { get; }

    public string Matroska { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private string Make(string name, string[] arguments)
    {
        var output = Path.Combine(Folder, name);
        TestVideos.Run([.. arguments, output]);
        return output;
    }
}
