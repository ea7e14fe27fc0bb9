using System.Buffers.Binary;
using System.Globalization;

namespace Needle.Video;

/// <summary>
/// Decides whether a video can be cut into segments whose parallel decodes give exactly the frames, and the frame
/// numbers, of one whole decode, and where. Only what can be shown from the file's packets is accepted:
/// <list type="bullet">
/// <item>an MP4/MOV file (the sample index lets <c>-ss</c> land on the key frame itself) with H.264 or HEVC;</item>
/// <item>every video packet has a timestamp and none is marked discard or corrupt;</item>
/// <item>each cut is at an IDR picture (read from the file: no later frame refers to an earlier one) that is a clean
/// boundary: every packet before it in decode order shows before it and every packet after it shows after it (no
/// open-GOP leading pictures), so the key frame's number in a whole decode is its position among the packets;</item>
/// <item>the key frame's time survives the round trip through the microseconds of <c>-ss</c>.</item>
/// </list>
/// What a decode does at run time is checked too (<see cref="VideoHasher"/>): each segment decodes one frame past its
/// end, which must equal the next segment's first frame byte for byte, and each outputs exactly the frames planned.
/// </summary>
internal static class VideoSegmenter
{
    /// <summary>Packets read at most; a longer packet list is not split.</summary>
    private const int MaxPackets = 5_000_000;

    /// <summary>Key frames tried per cut, nearest to the ideal place first.</summary>
    private const int CandidatesPerCut = 16;

    /// <summary>NAL units read at most in one key frame packet.</summary>
    private const int MaxNalUnits = 256;

    /// <summary>
    /// The segments for <paramref name="fullPath"/>, or null (with the reason) when the sequential path must be used.
    /// </summary>
    public static List<VideoSegment>? Plan(string fullPath, VideoInfo info, VideoHashOptions options, VideoHasher.DecodePlan plan, CancellationToken cancellationToken, out string reason)
    {
        if (options.MaxParallelSegments < 2)
        {
            reason = "one process allowed";
            return null;
        }

        if (options.KeyFramesOnly || plan.SkipBFrames)
        {
            reason = "key-frame-only and B-frame-skipping sampling do not count frames";
            return null;
        }

        if (!info.FormatName.Split(',').Any(f => f is "mov" or "mp4"))
        {
            reason = $"container '{info.FormatName}' is not MP4/MOV";
            return null;
        }

        var hevc = info.Codec == "hevc";
        if (!hevc && info.Codec != "h264")
        {
            reason = $"codec '{info.Codec}' is not H.264 or HEVC";
            return null;
        }

        if (info.TimeBaseNumerator <= 0 || info.TimeBaseDenominator <= 0 || info.StartMicroseconds is not { } start)
        {
            reason = "time base or start time unknown";
            return null;
        }

        if (info.Duration < 2 * options.MinSegmentSeconds || info.Duration >= options.MaxDuration.TotalSeconds)
        {
            reason = $"duration {info.Duration:0.###} s is under two segments of {options.MinSegmentSeconds:0.###} s (or over the limit)";
            return null;
        }

        if (ReadPackets(fullPath, options, cancellationToken, out reason) is not { } packets)
        {
            return null;
        }

        var frames = packets.Pts.Count;
        if ((frames + (long)plan.FrameStep - 1) / plan.FrameStep >= options.MaxFrames)
        {
            reason = "the frame limit would cut the hash";
            return null;
        }

        var minFrames = Math.Max(1, (int)Math.Ceiling(options.MinSegmentSeconds * info.FrameRate));
        var count = Math.Min(options.MaxParallelSegments, frames / minFrames);
        if (count < 2)
        {
            reason = $"{frames} frames make fewer than two segments of {minFrames}";
            return null;
        }

        var clean = CleanKeyFrames(packets);
        var cuts = new List<(int Frame, long Seek)>();
        using (var file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess))
        {
            var previous = 0;
            for (var j = 1; j < count; j++)
            {
                var target = (int)((long)frames * j / count);
                var tried = 0;
                foreach (var k in clean.Where(k => k - previous >= minFrames && frames - k >= minFrames).OrderBy(k => Math.Abs(k - target)).ThenBy(k => k))
                {
                    if (++tried > CandidatesPerCut)
                    {
                        break;
                    }

                    if (SeekMicroseconds(packets.Pts[k], info, start) is { } seek && IsIdr(file, packets.Positions[k], packets.Sizes[k], hevc))
                    {
                        cuts.Add((k, seek));
                        previous = k;
                        break;
                    }
                }
            }
        }

        if (cuts.Count == 0)
        {
            reason = clean.Count == 0 ? "no key frame is a clean boundary (open GOP or none)" : "no key frame to cut at is an IDR picture (open GOP?)";
            return null;
        }

        var segments = new List<VideoSegment>(cuts.Count + 1);
        var first = 0;
        for (var i = 0; i <= cuts.Count; i++)
        {
            var end = i < cuts.Count ? cuts[i].Frame : frames;
            segments.Add(new VideoSegment(i, first, end - first, i == 0 ? 0 : cuts[i - 1].Seek, ToEnd: i == cuts.Count));
            first = end;
        }

        reason = $"{segments.Count} segments";
        return segments;
    }

    /// <summary>The video packets in decode order: timestamp, file position and size of each.</summary>
    private sealed record PacketList(List<long> Pts, List<long> Positions, List<int> Sizes, List<int> KeyFrames);

    /// <summary>Lists the video packets with ffprobe (demuxing only, no decoding); null when one is unusable.</summary>
    private static PacketList? ReadPackets(string fullPath, VideoHashOptions options, CancellationToken cancellationToken, out string reason)
    {
        string[] arguments =
        [
            "-v", "error", "-protocol_whitelist", "file", "-select_streams", "v:0",
            "-show_entries", "packet=pts,pos,size,flags", "-of", "compact=p=0", "file:" + fullPath,
        ];
        var packets = new PacketList([], [], [], []);
        string? problem = null;
        using (var probe = FfmpegProcess.Start(options.FfprobePath, arguments, cancellationToken))
        {
            using var reader = new StreamReader(probe.Output);
            while (reader.ReadLine() is { } line)
            {
                if (problem is null && !TryAdd(packets, line, out problem) || packets.Pts.Count > MaxPackets)
                {
                    problem ??= "too many packets";
                    probe.Kill();
                    break;
                }
            }

            var exitCode = probe.WaitForExit();
            cancellationToken.ThrowIfCancellationRequested();
            if (problem is null && exitCode != 0)
            {
                problem = $"ffprobe exit {exitCode} listing packets";
            }
        }

        if (problem is null && packets.Pts.Count == 0)
        {
            problem = "no video packet";
        }

        reason = problem ?? "";
        return problem is null ? packets : null;
    }

    /// <summary>Adds one <c>pts=..|pos=..|size=..|flags=..</c> line.</summary>
    private static bool TryAdd(PacketList packets, string line, out string? problem)
    {
        long? pts = null, pos = null;
        int? size = null;
        var flags = "";
        foreach (var field in line.Split('|'))
        {
            var eq = field.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                continue;
            }

            var value = field.AsSpan(eq + 1);
            switch (field.AsSpan(0, eq))
            {
                case "pts":
                    pts = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var p) ? p : null;
                    break;
                case "pos":
                    pos = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : null;
                    break;
                case "size":
                    size = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var z) ? z : null;
                    break;
                case "flags":
                    flags = value.ToString();
                    break;
                default:
                    break;
            }
        }

        if (pts is null || pos is null || size is null)
        {
            problem = $"packet {packets.Pts.Count} has no timestamp or position";
            return false;
        }

        // D: discarded (an edit list hides it), C: corrupt. Either may change what a decode from the start outputs.
        if (flags.Contains('D', StringComparison.Ordinal) || flags.Contains('C', StringComparison.Ordinal))
        {
            problem = $"packet {packets.Pts.Count} is marked '{flags}'";
            return false;
        }

        if (flags.Contains('K', StringComparison.Ordinal))
        {
            packets.KeyFrames.Add(packets.Pts.Count);
        }

        packets.Pts.Add(pts.Value);
        packets.Positions.Add(pos.Value);
        packets.Sizes.Add(size.Value);
        problem = null;
        return true;
    }

    /// <summary>
    /// Key frames (decode index, after the first packet) that every earlier packet shows before and every later packet
    /// shows after: the key frame's decode index is then its number among the frames in display order.
    /// </summary>
    private static List<int> CleanKeyFrames(PacketList packets)
    {
        var pts = packets.Pts;
        var suffixMin = new long[pts.Count + 1];
        suffixMin[pts.Count] = long.MaxValue;
        for (var i = pts.Count - 1; i >= 0; i--)
        {
            suffixMin[i] = Math.Min(pts[i], suffixMin[i + 1]);
        }

        var clean = new List<int>();
        var prefixMax = long.MinValue;
        var next = 0;
        for (var i = 0; i < pts.Count; i++)
        {
            if (next < packets.KeyFrames.Count && packets.KeyFrames[next] == i)
            {
                next++;
                if (i > 0 && prefixMax < pts[i] && suffixMin[i + 1] > pts[i])
                {
                    clean.Add(i);
                }
            }

            prefixMax = Math.Max(prefixMax, pts[i]);
        }

        return clean;
    }

    /// <summary>
    /// The key frame's <c>-ss</c> in microseconds from the container's start, when ffmpeg turns it back into exactly
    /// <paramref name="pts"/> (it rounds to the nearest time-base unit both when seeking and when trimming frames before
    /// the seek point); null otherwise.
    /// </summary>
    private static long? SeekMicroseconds(long pts, VideoInfo info, long startMicroseconds)
    {
        var exact = (Int128)pts * info.TimeBaseNumerator * 1_000_000;
        var micro = RoundDivide(exact, info.TimeBaseDenominator);
        var back = RoundDivide(micro * info.TimeBaseDenominator, (Int128)info.TimeBaseNumerator * 1_000_000);
        var seek = micro - startMicroseconds;
        return back == pts && seek > 0 && seek < long.MaxValue ? (long)seek : null;
    }

    /// <summary>Division rounding half away from zero, as FFmpeg's <c>av_rescale</c> (AV_ROUND_NEAR_INF).</summary>
    private static Int128 RoundDivide(Int128 value, Int128 divisor)
    {
        var half = divisor / 2;
        return value >= 0 ? (value + half) / divisor : -((-value + half) / divisor);
    }

    /// <summary>
    /// Whether the MP4 sample at <paramref name="position"/> is an IDR picture: walking its NAL units (4-byte lengths,
    /// which must stay inside the sample), the first coded slice is an IDR one (H.264 5; HEVC IDR_W_RADL 19 or IDR_N_LP
    /// 20). Anything else, a sample that does not parse so included, is not a cut.
    /// </summary>
    private static bool IsIdr(FileStream file, long position, int size, bool hevc)
    {
        Span<byte> head = stackalloc byte[5];
        long offset = 0;
        for (var n = 0; n < MaxNalUnits && offset + 5 <= size; n++)
        {
            file.Position = position + offset;
            if (file.Read(head) != 5)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(head);
            if (length == 0 || offset + 4 + length > size)
            {
                return false;
            }

            var type = hevc ? (head[4] >> 1) & 0x3F : head[4] & 0x1F;
            var isSlice = hevc ? type <= 31 : type is >= 1 and <= 5;
            if (isSlice)
            {
                return hevc ? type is 19 or 20 : type == 5;
            }

            offset += 4 + length;
        }

        return false;
    }
}
