using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Needle.Hashing;
using Needle.Hashing.Pdq;
using Needle.Hashing.Transforms;

namespace Needle.Video;

/// <summary>
/// Computes vPDQ hashes as Meta's reference does: decode every frame, take every <c>(int)(secondsPerHash * fps)</c>-th
/// one (frame number counted over all decoded frames), convert it to RGB24 at its native size and hash it with PDQ;
/// the timestamp is frame number / frame rate. Decoding runs in an ffmpeg child process that writes raw RGB24 frames
/// to a pipe (<c>-f rawvideo -pix_fmt rgb24</c>), so a hostile file can crash only ffmpeg, never this process.
/// </summary>
/// <remarks>Thread-safe: each call uses its own PDQ hasher and process.</remarks>
public sealed class VideoHasher
{
    private readonly VideoHashOptions _options;

    /// <summary>A hasher with <paramref name="options"/> (the defaults when null), checked now.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of its range.</exception>
    public VideoHasher(VideoHashOptions? options = null)
    {
        _options = options ?? new VideoHashOptions();
        _options.Validate();
    }

    /// <summary>The limits, sampling and decode path every call uses.</summary>
    public VideoHashOptions Options => _options;

    /// <summary>Hashes the video at <paramref name="path"/>.</summary>
    /// <exception cref="VideoHashException">Missing, too large, not a video, broken, over a limit or timed out; the message says which (with ffmpeg's last words).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (ffmpeg is killed first).</exception>
    public VideoHash Hash(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new VideoHashException("file not found");
        }

        if (file.Length > _options.MaxFileSize)
        {
            throw new VideoHashException($"file is {file.Length} bytes, over the {_options.MaxFileSize}-byte limit");
        }

        if (file.Length == 0)
        {
            throw new VideoHashException("file is empty");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var info = Probe(file.FullName, timeout.Token);
            var frames = Decode(file.FullName, info, timeout.Token, out var truncated, out var dihedral, out var segments);
            var digests = _options.ComputeDigests ? FileDigests.ComputeFile(file.FullName, timeout.Token) : null;
            return new VideoHash
            {
                Frames = frames,
                DihedralFrames = dihedral,
                FrameRate = info.FrameRate,
                Width = _options.DownsampleSize > 0 ? _options.DownsampleSize : info.Width,
                Height = _options.DownsampleSize > 0 ? _options.DownsampleSize : info.Height,
                Duration = info.Duration,
                Truncated = truncated,
                Segments = segments,
                Digests = digests,
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new VideoHashException($"timed out after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s (limit {_options.Timeout.TotalSeconds:0.###} s); ffmpeg was killed");
        }
    }

    /// <summary>Runs ffprobe on <paramref name="path"/> and checks the limits.</summary>
    public VideoInfo Probe(string path, CancellationToken cancellationToken = default)
    {
        string[] arguments =
        [
            "-v", "error", "-protocol_whitelist", "file", "-select_streams", "v:0",
            "-show_entries", "stream=codec_name,width,height,avg_frame_rate,r_frame_rate,pix_fmt,color_range,time_base:format=duration,start_time,format_name",
            "-of", "json", "file:" + Path.GetFullPath(path),
        ];
        string json;
        int exitCode;
        string stderr;
        using (var probe = FfmpegProcess.Start(_options.FfprobePath, arguments, cancellationToken))
        {
            using var reader = new StreamReader(probe.Output);
            json = ReadLimited(reader, 1 << 20);
            exitCode = probe.WaitForExit();
            stderr = probe.StderrTail;
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (exitCode != 0)
        {
            throw new VideoHashException($"not a readable video (ffprobe exit {exitCode}): {Tail(stderr)}");
        }

        int width = 0, height = 0;
        double fps = 0, duration = 0;
        string pixelFormat = "", codec = "", range = "", formatName = "";
        long timeBaseNumerator = 0, timeBaseDenominator = 0;
        long? startMicroseconds = null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (!root.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
            {
                throw new VideoHashException("no video stream" + (stderr.Length > 0 ? ": " + Tail(stderr) : ""));
            }

            var stream = streams[0];
            width = stream.TryGetProperty("width", out var w) ? w.GetInt32() : 0;
            height = stream.TryGetProperty("height", out var h) ? h.GetInt32() : 0;
            pixelFormat = stream.TryGetProperty("pix_fmt", out var p) ? p.GetString() ?? "" : "";
            codec = stream.TryGetProperty("codec_name", out var c) ? c.GetString() ?? "" : "";
            range = stream.TryGetProperty("color_range", out var r) ? r.GetString() ?? "" : "";
            fps = ParseRate(stream, "avg_frame_rate");
            if (fps <= 0)
            {
                fps = ParseRate(stream, "r_frame_rate");
            }

            if (stream.TryGetProperty("time_base", out var tb) && tb.GetString() is { } timeBase &&
                timeBase.Split('/') is [var num, var den] &&
                long.TryParse(num, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && long.TryParse(den, NumberStyles.None, CultureInfo.InvariantCulture, out var m) && n > 0 && m > 0)
            {
                (timeBaseNumerator, timeBaseDenominator) = (n, m);
            }

            if (root.TryGetProperty("format", out var format))
            {
                if (format.TryGetProperty("duration", out var d) &&
                    double.TryParse(d.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds))
                {
                    duration = Math.Max(0, seconds);
                }

                // ffprobe prints the start time (whole microseconds) with 6 decimals: read it as a decimal, exactly.
                if (format.TryGetProperty("start_time", out var st) &&
                    decimal.TryParse(st.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var start) && Math.Abs(start) < 1e9m)
                {
                    startMicroseconds = (long)Math.Round(start * 1_000_000m, MidpointRounding.AwayFromZero);
                }

                formatName = format.TryGetProperty("format_name", out var f) ? f.GetString() ?? "" : "";
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            throw new VideoHashException($"cannot read ffprobe's answer: {ex.Message}", ex);
        }

        if (width <= 0 || height <= 0)
        {
            throw new VideoHashException($"video stream has no usable size ({width}x{height})" + (stderr.Length > 0 ? ": " + Tail(stderr) : ""));
        }

        if ((long)width * height > _options.MaxFramePixels)
        {
            throw new VideoHashException($"frames are {width}x{height}, over the {_options.MaxFramePixels}-pixel limit");
        }

        if (!(fps > 0) || fps > 1000)
        {
            throw new VideoHashException($"video frame rate is unknown or implausible ({fps.ToString(CultureInfo.InvariantCulture)})");
        }

        if (duration > _options.MaxDuration.TotalSeconds)
        {
            throw new VideoHashException($"video is {duration:0.#} s long, over the {_options.MaxDuration.TotalSeconds:0.#}-s limit");
        }

        return new VideoInfo(width, height, fps, duration)
        {
            PixelFormat = pixelFormat,
            Codec = codec,
            FullRange = range == "pc" || pixelFormat.StartsWith("yuvj", StringComparison.Ordinal),
            FormatName = formatName,
            TimeBaseNumerator = timeBaseNumerator,
            TimeBaseDenominator = timeBaseDenominator,
            StartMicroseconds = startMicroseconds,
        };
    }

    /// <summary>Shortest sampling step (in frames) at which the fast path skips B-frames: every step then holds a decoded frame.</summary>
    private const int MinStepForSkippingBFrames = 20;

    /// <summary>What ffmpeg writes to the pipe for one video and how its frames are numbered.</summary>
    /// <param name="FrameStep">Frames between sampled frames, as the reference computes it.</param>
    /// <param name="Width">Width of each frame in the pipe.</param>
    /// <param name="Height">Height of each frame in the pipe.</param>
    /// <param name="Layout">RGB24, or Gray8 for the fast path's luma plane.</param>
    /// <param name="SkipBFrames">B-frames are not decoded.</param>
    /// <param name="LumaRange">Maps the decoder's Y values to full-range luma (null: already full range or RGB).</param>
    internal sealed record DecodePlan(int FrameStep, int Width, int Height, PixelLayout Layout, bool SkipBFrames, byte[]? LumaRange);

    /// <summary>The ffmpeg arguments used for a video, or for one <paramref name="segment"/> of it (exposed for tests and the benchmark).</summary>
    internal List<string> BuildArguments(string fullPath, VideoInfo info, out DecodePlan plan, VideoSegment? segment = null)
    {
        segment ??= VideoSegment.Whole;
        var frameStep = Math.Max(1, (int)(_options.SecondsPerHash * info.FrameRate));
        var fast = _options.DecodePath == VideoDecodePath.Fast && !_options.KeyFramesOnly;
        var width = _options.DownsampleSize > 0 ? _options.DownsampleSize : info.Width;
        var height = _options.DownsampleSize > 0 ? _options.DownsampleSize : info.Height;

        // Luma straight from the decoder only at native size: a downscale is the reference's area filter over RGB.
        var luma = fast && info.HasLumaPlane && _options.DownsampleSize == 0;
        // Only codecs whose B-frames no other frame type references: HEVC encoders (x265) predict P-frames from B-frames, so
        // skipping them there breaks every later frame (measured 80-110 bits off).
        var skipBFrames = fast && _options.SkipBFrames && frameStep >= MinStepForSkippingBFrames &&
                          info.Codec is "h264" or "mpeg4" or "mpeg2video" or "mpeg1video";
        plan = new DecodePlan(frameStep, width, height, luma ? PixelLayout.Gray8 : PixelLayout.Rgb24, skipBFrames, luma && !info.FullRange ? BuildLimitedToFullRange() : null);

        var arguments = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-noautorotate" };
        // Segments keep ffmpeg's own thread count: one that finishes early leaves the cores to the others, which a
        // share of the cores per segment would not (measured: 2 single-threaded segments no faster than 1 process).
        if (_options.DecoderThreads > 0)
        {
            arguments.AddRange(["-threads", _options.DecoderThreads.ToString(CultureInfo.InvariantCulture)]);
        }

        if (_options.FastDecode)
        {
            arguments.AddRange(["-skip_loop_filter", "all"]);
        }

        if (_options.KeyFramesOnly)
        {
            arguments.AddRange(["-skip_frame", "nokey"]);
        }
        else if (skipBFrames)
        {
            arguments.AddRange(["-skip_frame", "bidir"]);
        }

        var limit = _options.MaxDuration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        if (segment.Index > 0)
        {
            // Input seeking to the key frame: ffmpeg seeks to it and drops what decodes before it (-accurate_seek), so
            // the first frame out is the key frame; -t then counts from there, ending where the whole decode ends.
            arguments.AddRange(["-ss", Seconds(segment.SeekMicroseconds)]);
            limit = Seconds((long)(_options.MaxDuration.TotalMicroseconds - segment.SeekMicroseconds));
        }

        arguments.AddRange(
        [
            "-protocol_whitelist", "file",
            "-t", limit,
            "-i", "file:" + fullPath,
            "-map", "0:v:0", "-an", "-sn", "-dn",
        ]);

        string filter;
        if (_options.KeyFramesOnly)
        {
            // The reference picks frames by decoded-frame number; with key frames only, the fps filter repeats the
            // last key frame at each sampling instant instead, so timestamps stay right.
            filter = $"fps=1/{Math.Max(_options.SecondsPerHash, 1.0 / info.FrameRate).ToString("0.######", CultureInfo.InvariantCulture)}";
        }
        else if (skipBFrames)
        {
            // The first decoded frame whose nominal number (time x rate) reaches the next sampling instant: the
            // reference's frame when it was decoded, else the next decoded one. Counting selected frames keeps the
            // numbering right because every step of MinStepForSkippingBFrames frames holds a decoded frame.
            var rate = info.FrameRate.ToString("0.#########", CultureInfo.InvariantCulture);
            filter = $"select=gte((t-start_t)*{rate}+0.5\\,selected_n*{frameStep.ToString(CultureInfo.InvariantCulture)})";
        }
        else
        {
            // n counts the frames out of the decoder, as the reference's frame number; a segment adds its first frame's
            // number and also passes its boundary frames (the checks of VideoSegment).
            filter = segment.FirstFrame == 0
                ? $"select=not(mod(n\\,{frameStep.ToString(CultureInfo.InvariantCulture)}))"
                : $"select=not(mod(n+{segment.FirstFrame.ToString(CultureInfo.InvariantCulture)}\\,{frameStep.ToString(CultureInfo.InvariantCulture)}))";
            if (segment.ChecksStart)
            {
                filter += "+eq(n\\,0)";
            }

            if (segment.ChecksEnd)
            {
                filter += $"+eq(n\\,{segment.FrameCount.ToString(CultureInfo.InvariantCulture)})";
            }
        }

        if (!luma)
        {
            // The reference converts (and downsamples) with sws_getContext(..., AV_PIX_FMT_RGB24, SWS_AREA, ...): plain
            // area, no other flag (+accurate_rnd rounds differently), and swscale's defaults for the rest: BT.601
            // coefficients and the range the pixel format implies, whatever the stream is tagged with. The scale filter
            // would follow the tags instead (BT.709 for most HD video, full range for a VP9 or HEVC yuv420p tagged
            // "pc"), so both are pinned. Checked byte for byte against a libswscale program doing what the reference
            // does, on the same FFmpeg build (docs/video.md).
            filter += $",scale={width}:{height}:flags=area:in_color_matrix=bt601{ReferenceRange(info.PixelFormat)},format=rgb24";
        }

        arguments.AddRange(
        [
            "-vf", filter,
            "-fps_mode", _options.KeyFramesOnly ? "cfr" : "passthrough",
            "-frames:v", (segment.OutputCount(frameStep) ?? _options.MaxFrames).ToString(CultureInfo.InvariantCulture),
            "-f", "rawvideo", "-pix_fmt", luma ? "gray" : "rgb24", "pipe:1",
        ]);
        return arguments;
    }

    /// <summary>
    /// The input range swscale gives a pixel format when nobody sets one (its <c>handle_jpeg</c>): full for the JPEG
    /// (<c>yuvj</c>) and grey formats, limited for other YUV; nothing for RGB and the rest, where range plays no part.
    /// </summary>
    private static string ReferenceRange(string pixelFormat) =>
        pixelFormat.StartsWith("yuvj", StringComparison.Ordinal) || pixelFormat.StartsWith("gray", StringComparison.Ordinal) || pixelFormat.StartsWith("ya", StringComparison.Ordinal)
            ? ":in_range=pc"
            : pixelFormat.StartsWith("yuv", StringComparison.Ordinal) || pixelFormat.StartsWith("nv", StringComparison.Ordinal) || pixelFormat.StartsWith("p0", StringComparison.Ordinal) || pixelFormat.StartsWith("p2", StringComparison.Ordinal) || pixelFormat.StartsWith("p4", StringComparison.Ordinal)
                ? ":in_range=tv"
                : "";

    /// <summary>Microseconds as seconds with six decimals, which ffmpeg parses back exactly.</summary>
    private static string Seconds(long microseconds) => string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1_000_000}.{microseconds % 1_000_000:D6}");

    /// <summary>Studio-range Y (16..235) to full-range luma, as RGB24 conversion followed by the reference's luma would give.</summary>
    private static byte[] BuildLimitedToFullRange()
    {
        var table = new byte[256];
        for (var y = 0; y < 256; y++)
        {
            table[y] = (byte)Math.Clamp((int)Math.Round((y - 16) * 255.0 / 219.0), 0, 255);
        }

        return table;
    }

    /// <summary>What one ffmpeg process gave: its sampled frames and, for a segment, digests of its boundary frames.</summary>
    internal sealed class DecodeOutput
    {
        public List<VpdqFrame> Frames { get; } = [];

        public List<PdqHash[]>? Dihedral { get; init; }

        /// <summary>Frames ffmpeg wrote to the pipe.</summary>
        public int Outputs { get; set; }

        /// <summary>SHA-256 of the segment's first frame (segments after the first).</summary>
        public byte[]? StartDigest { get; set; }

        /// <summary>SHA-256 of the first frame after the segment (segments before the last).</summary>
        public byte[]? EndDigest { get; set; }

        /// <summary>ffmpeg wrote a frame the plan did not expect.</summary>
        public bool Unexpected { get; set; }
    }

    private List<VpdqFrame> Decode(string fullPath, VideoInfo info, CancellationToken cancellationToken, out bool truncated, out List<PdqHash[]>? dihedral, out int segments)
    {
        var arguments = BuildArguments(fullPath, info, out var plan);
        if (_options.MaxParallelSegments > 1 &&
            VideoSegmenter.Plan(fullPath, info, _options, plan, cancellationToken, out _) is { } planned &&
            DecodeSegments(fullPath, info, plan, planned, cancellationToken) is { } merged)
        {
            truncated = false;
            dihedral = merged.Dihedral;
            segments = planned.Count;
            return merged.Frames;
        }

        segments = 1;
        var whole = DecodeOne(arguments, info, plan, VideoSegment.Whole, cancellationToken, out var exitCode, out var stderr);
        if (exitCode != 0)
        {
            throw new VideoHashException($"ffmpeg failed (exit {exitCode}) after {whole.Outputs} frames: {Tail(stderr)}");
        }

        if (whole.Outputs == 0)
        {
            throw new VideoHashException("no frame could be decoded" + (stderr.Length > 0 ? ": " + Tail(stderr) : ""));
        }

        truncated = whole.Outputs >= _options.MaxFrames;
        dihedral = whole.Dihedral;
        return whole.Frames;
    }

    /// <summary>
    /// Decodes the planned segments side by side and joins their frames, or returns null (the caller then decodes the
    /// whole video) when a segment failed or did not give exactly what the plan said: each segment's frame past its end
    /// must equal the next segment's first frame byte for byte, and every segment must output its planned frames.
    /// </summary>
    internal DecodeOutput? DecodeSegments(string fullPath, VideoInfo info, DecodePlan plan, List<VideoSegment> segments, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var outputs = new DecodeOutput?[segments.Count];
        var tasks = new Task[segments.Count];
        for (var i = 0; i < segments.Count; i++)
        {
            var index = i;
            tasks[i] = Task.Factory.StartNew(
                () =>
                {
                    var segment = segments[index];
                    try
                    {
                        var arguments = BuildArguments(fullPath, info, out _, segment);
                        var output = DecodeOne(arguments, info, plan, segment, stop.Token, out var exitCode, out _);
                        if (exitCode == 0 && !output.Unexpected)
                        {
                            outputs[index] = output;
                            return;
                        }
                    }
                    catch (Exception ex) when (ex is OperationCanceledException or VideoHashException or IOException)
                    {
                        // Stopped (another segment failed, or the caller cancelled: checked below), or ffmpeg would not
                        // run: the whole decode then says why.
                    }

                    // One segment is enough to give up: stop the others.
                    stop.Cancel();
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        Task.WhenAll(tasks).GetAwaiter().GetResult();
        cancellationToken.ThrowIfCancellationRequested();
        var merged = new DecodeOutput { Dihedral = _options.Dihedral ? [] : null };
        for (var i = 0; i < segments.Count; i++)
        {
            var output = outputs[i];
            var segment = segments[i];
            if (output is null)
            {
                return null;
            }

            var complete = segment.ToEnd
                ? output.Frames.Count == segment.SampledCount(plan.FrameStep)
                : output.Outputs == segment.OutputCount(plan.FrameStep) && output.EndDigest is not null &&
                  outputs[i + 1]?.StartDigest is { } next && next.AsSpan().SequenceEqual(output.EndDigest);
            if (!complete)
            {
                return null;
            }

            merged.Frames.AddRange(output.Frames);
            merged.Dihedral?.AddRange(output.Dihedral!);
        }

        return merged.Frames.Count < _options.MaxFrames ? merged : null;
    }

    /// <summary>Runs one ffmpeg for <paramref name="segment"/> and hashes its sampled frames as they arrive.</summary>
    private DecodeOutput DecodeOne(List<string> arguments, VideoInfo info, DecodePlan plan, VideoSegment segment, CancellationToken cancellationToken, out int exitCode, out string stderr)
    {
        var frameBytes = checked(plan.Width * plan.Height * (int)plan.Layout);
        var hasher = new PdqHasher();
        var output = new DecodeOutput { Dihedral = _options.Dihedral ? [] : null };
        var fps = (float)info.FrameRate;
        var step = plan.FrameStep;
        var relative = segment.NextOutput(-1, step);
        using var ffmpeg = FfmpegProcess.Start(_options.FfmpegPath, arguments, cancellationToken);

        // Reading runs on its own thread into a few buffers so ffmpeg keeps decoding while a frame is hashed.
        using var pipe = new FramePipe(ffmpeg.Output, frameBytes, buffers: frameBytes > 32 << 20 ? 2 : 3);
        var reader = Task.Factory.StartNew(pipe.Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            while (pipe.TakeFilled() is { } buffer)
            {
                try
                {
                    var count = output.Outputs++;
                    int frameNumber;
                    if (_options.KeyFramesOnly)
                    {
                        frameNumber = (int)Math.Round(count * Math.Max(_options.SecondsPerHash, 1.0 / info.FrameRate) * info.FrameRate);
                    }
                    else
                    {
                        // Which frame of the segment this is follows from the plan: ffmpeg passes exactly those.
                        var r = relative;
                        if (r < 0)
                        {
                            output.Unexpected = true;
                            continue;
                        }

                        relative = segment.NextOutput(r, step);
                        if (segment.ChecksStart && r == 0)
                        {
                            output.StartDigest = SHA256.HashData(buffer);
                        }

                        if (segment.ChecksEnd && r == segment.FrameCount)
                        {
                            output.EndDigest = SHA256.HashData(buffer);
                            continue;
                        }

                        if (!segment.IsSampled(r, step))
                        {
                            continue;
                        }

                        frameNumber = checked(segment.FirstFrame + r);
                    }

                    if (plan.LumaRange is { } table)
                    {
                        MapInPlace(buffer, table);
                    }

                    int quality;
                    PdqHash hash;
                    PdqHash[]? all = null;
                    using var inside = _options.Unletterbox ? Inside(buffer, plan.Width, plan.Height, plan.Layout) : null;
                    if (inside is not null)
                    {
                        var result = hasher.HashDihedral(inside);
                        quality = result.Quality;
                        hash = result.Original;
                        all = _options.Dihedral ? result.Hashes.ToArray() : null;
                    }
                    else if (_options.Dihedral)
                    {
                        var result = hasher.HashDihedral(buffer, plan.Width, plan.Height, plan.Layout);
                        quality = result.Quality;
                        hash = result.Original;
                        all = result.Hashes.ToArray();
                    }
                    else
                    {
                        var result = hasher.Hash(buffer, plan.Width, plan.Height, plan.Layout);
                        quality = result.Quality;
                        hash = result.Hash;
                    }

                    // Every sampled frame is kept whatever its quality, as the reference writes them; matching filters.
                    // The reference computes the timestamp in float: frame number / frame rate.
                    var timestamp = (double)((float)frameNumber / fps);
                    output.Frames.Add(new VpdqFrame(frameNumber, quality, hash, timestamp));
                    output.Dihedral?.Add(all!);
                }
                finally
                {
                    pipe.Return(buffer);
                }
            }
        }
        finally
        {
            // On an exception above, stop ffmpeg so the reader sees the end of the pipe and finishes.
            if (!reader.IsCompleted)
            {
                pipe.Stop();
                ffmpeg.Kill();
            }

            reader.GetAwaiter().GetResult();
        }

        exitCode = ffmpeg.WaitForExit();
        stderr = ffmpeg.StderrTail;
        cancellationToken.ThrowIfCancellationRequested();
        return output;
    }

    /// <summary>The frame inside its uniform border, or null when it has none.</summary>
    private static DecodedImage? Inside(byte[] buffer, int width, int height, PixelLayout layout)
    {
        using var frame = new DecodedImage(buffer, width, height, layout);
        var inside = BorderDetector.FindContent(frame, smooth: false);
        return inside.Count == 0 ? null : ImageTransforms.Crop(frame, inside[0]);
    }

    private static void MapInPlace(byte[] buffer, byte[] table)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = table[buffer[i]];
        }
    }

    private static double ParseRate(JsonElement stream, string name)
    {
        if (!stream.TryGetProperty(name, out var value) || value.GetString() is not { } text)
        {
            return 0;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var plain) ? plain : 0;
        }

        return double.TryParse(text.AsSpan(0, slash), NumberStyles.Float, CultureInfo.InvariantCulture, out var num) &&
               double.TryParse(text.AsSpan(slash + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var den) && den != 0
            ? num / den
            : 0;
    }

    private static string ReadLimited(StreamReader reader, int maxChars)
    {
        var buffer = new char[maxChars];
        var filled = 0;
        int read;
        while (filled < maxChars && (read = reader.Read(buffer, filled, maxChars - filled)) > 0)
        {
            filled += read;
        }

        // Drain the rest so the child is never blocked on a full pipe.
        var sink = new char[4096];
        while (reader.Read(sink, 0, sink.Length) > 0)
        {
        }

        return new string(buffer, 0, filled);
    }

    private static string Tail(string stderr) => stderr.Length == 0 ? "(no message)" : stderr.Length <= 600 ? stderr : "..." + stderr[^600..];
}
