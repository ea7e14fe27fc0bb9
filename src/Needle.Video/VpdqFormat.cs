using System.Globalization;
using System.Text;
using Needle.Hashing;

namespace Needle.Video;

/// <summary>
/// Meta's vPDQ text format: one line per frame, <c>frame_number,quality,pdq_hex,timestamp</c> with the timestamp in
/// seconds to 3 decimals (what <c>vpdq-hash-video</c> writes and <c>vpdqio.cpp</c> reads), plus Needle's bundle
/// (<c>.vpdql</c>): several videos in one file, each introduced by a header line
/// <c>#video name=NAME md5=HEX label=TEXT</c> (values percent-encoded, md5 and label optional) and followed by its
/// vPDQ lines. A bundle starts with the line <c>#vpdq-list 1</c>. Blank lines and other <c>#</c> lines are ignored.
/// </summary>
public static class VpdqFormat
{
    /// <summary>The first line of a bundle.</summary>
    public const string BundleMagic = "#vpdq-list 1";

    /// <summary>Longest line accepted when reading.</summary>
    public const int MaxLineLength = 4096;

    /// <summary>Formats one frame as the reference writes it.</summary>
    public static string FormatLine(VpdqFrame frame) => string.Create(CultureInfo.InvariantCulture,
        $"{frame.FrameNumber},{frame.Quality},{frame.Hash},{frame.Timestamp:F3}");

    /// <summary>Parses one <c>frame,quality,hash,timestamp</c> line.</summary>
    public static bool TryParseLine(ReadOnlySpan<char> line, out VpdqFrame frame, out string? error)
    {
        frame = default;
        Span<Range> parts = stackalloc Range[5];
        var count = line.Trim().Split(parts, ',');
        line = line.Trim();
        if (count != 4)
        {
            error = $"expected 4 comma-separated fields (frame,quality,hash,timestamp), got {Math.Min(count, 4)}{(count > 4 ? "+" : "")}";
            return false;
        }

        if (!int.TryParse(line[parts[0]].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) || number < 0)
        {
            error = "frame number is not a whole number >= 0";
            return false;
        }

        if (!int.TryParse(line[parts[1]].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var quality) || quality is < 0 or > 100)
        {
            error = "quality is not a whole number 0..100";
            return false;
        }

        var hex = line[parts[2]].Trim();
        if (hex.Length != PdqHash.HexLength || !PdqHash.TryParse(hex, out var hash))
        {
            error = $"hash is not {PdqHash.HexLength} hex digits";
            return false;
        }

        if (!double.TryParse(line[parts[3]].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var timestamp) || !double.IsFinite(timestamp) || timestamp < 0)
        {
            error = "timestamp is not a number of seconds >= 0";
            return false;
        }

        frame = new VpdqFrame(number, quality, hash, timestamp);
        error = null;
        return true;
    }

    /// <summary>Writes frames in the reference format.</summary>
    public static void Write(TextWriter writer, IEnumerable<VpdqFrame> frames)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(frames);
        foreach (var frame in frames)
        {
            writer.Write(FormatLine(frame));
            writer.Write('\n');
        }
    }

    /// <summary>Reads a single-video vPDQ file (bundle headers, if any, are ignored and all frames returned).</summary>
    /// <exception cref="FormatException">A line is malformed; the message names it.</exception>
    public static List<VpdqFrame> Read(TextReader reader)
    {
        var videos = ReadBundle(reader, "video");
        return videos.SelectMany(v => v.Frames).ToList();
    }

    /// <summary>Reads a single vPDQ file or a bundle from disk. A plain vPDQ file gives one video named after the file.</summary>
    public static List<KnownVideo> ReadFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return ReadBundle(reader, Path.GetFileNameWithoutExtension(path));
    }

    /// <summary>Reads a bundle (or a plain vPDQ text, which becomes one video called <paramref name="defaultName"/>).</summary>
    /// <exception cref="FormatException">A line is malformed; the message names it.</exception>
    public static List<KnownVideo> ReadBundle(TextReader reader, string defaultName)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var videos = new List<KnownVideo>();
        string name = defaultName;
        string? md5 = null, label = null;
        var frames = new List<VpdqFrame>();
        var sawHeader = false;
        var lineNumber = 0;

        void Flush()
        {
            if (sawHeader || frames.Count > 0)
            {
                videos.Add(new KnownVideo(name, frames.ToArray(), md5, label));
            }

            frames.Clear();
        }

        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length > MaxLineLength)
            {
                throw new FormatException($"line {lineNumber}: longer than {MaxLineLength} characters");
            }

            var text = line.AsSpan().Trim();
            if (text.IsEmpty)
            {
                continue;
            }

            if (text.StartsWith("#video", StringComparison.Ordinal) && (text.Length == 6 || char.IsWhiteSpace(text[6])))
            {
                Flush();
                sawHeader = true;
                (name, md5, label) = ParseHeader(text[6..], lineNumber, videos.Count + 1);
                continue;
            }

            if (text[0] == '#')
            {
                continue;
            }

            if (!TryParseLine(text, out var frame, out var error))
            {
                throw new FormatException($"line {lineNumber}: {error}");
            }

            frames.Add(frame);
        }

        Flush();
        return videos;
    }

    /// <summary>Writes a bundle of videos.</summary>
    public static void WriteBundle(TextWriter writer, IEnumerable<KnownVideo> videos)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(videos);
        writer.Write(BundleMagic);
        writer.Write('\n');
        foreach (var video in videos)
        {
            writer.Write("#video name=");
            writer.Write(Uri.EscapeDataString(video.Name));
            if (video.Md5 is not null)
            {
                writer.Write(" md5=");
                writer.Write(video.Md5);
            }

            if (video.Label is not null)
            {
                writer.Write(" label=");
                writer.Write(Uri.EscapeDataString(video.Label));
            }

            writer.Write('\n');
            Write(writer, video.Frames);
        }
    }

    private static (string Name, string? Md5, string? Label) ParseHeader(ReadOnlySpan<char> text, int lineNumber, int ordinal)
    {
        string name = $"video-{ordinal}";
        string? md5 = null, label = null;
        foreach (var token in text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"line {lineNumber}: header field '{token}' is not key=value");
            }

            var key = token[..eq];
            var value = Uri.UnescapeDataString(token[(eq + 1)..]);
            switch (key)
            {
                case "name":
                    name = value;
                    break;
                case "md5":
                    if (value.Length != 32 || !value.All(char.IsAsciiHexDigit))
                    {
                        throw new FormatException($"line {lineNumber}: md5 is not 32 hex digits");
                    }

                    md5 = value.ToLowerInvariant();
                    break;
                case "label":
                    label = value;
                    break;
                default:
                    break; // Unknown keys are ignored so later versions can add fields.
            }
        }

        return (name, md5, label);
    }
}
