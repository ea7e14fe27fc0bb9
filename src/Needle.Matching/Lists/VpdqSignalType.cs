using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Needle.Hashing;

namespace Needle.Matching.Lists;

/// <summary>
/// Meta vPDQ, a video's sampled frames: the value is the vPDQ text lines (<c>frame,quality,pdq_hex,timestamp</c>)
/// joined by <c>;</c> (newlines are accepted and become <c>;</c>). The threshold is the per-frame PDQ distance (default
/// 31). Lists hold these entries like any other; the frames are matched by the video index of the server's matcher
/// host (time ranges and shares of frames do not fit a per-hash hit), so <see cref="ListMatcher"/> finds none itself.
/// </summary>
internal sealed class VpdqSignalType : SignalType
{
    /// <summary>Most frames in one entry (13 hours at one frame a second).</summary>
    public const int MaxFrames = 50_000;

    public override string Name => "vpdq";

    public override SignalComparison Comparison => SignalComparison.Hamming;

    public override double DefaultThreshold => PdqSignalType.DefaultPdqThreshold;

    public override bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem)
    {
        normalized = null;
        var builder = new StringBuilder(text.Length);
        var frames = 0;
        var usable = 0;
        foreach (var range in text.SplitAny(";\n"))
        {
            var line = text[range].Trim();
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }

            if (!TryParseFrame(line, out var frame, out var quality, out var hash, out var timestamp, out var reason))
            {
                problem = $"vPDQ frame {frames + 1}: {reason}";
                return false;
            }

            if (++frames > MaxFrames)
            {
                problem = $"a vPDQ value holds at most {MaxFrames} frames";
                return false;
            }

            usable += hash == PdqHash.Zero ? 0 : 1;
            if (builder.Length > 0)
            {
                builder.Append(';');
            }

            builder.Append(CultureInfo.InvariantCulture, $"{frame},{quality},{hash},{timestamp:F3}");
        }

        if (usable == 0)
        {
            problem = "a vPDQ value needs at least one frame line 'frame,quality,pdq_hex,timestamp' with a non-zero hash";
            return false;
        }

        normalized = builder.ToString();
        problem = null;
        return true;
    }

    /// <summary>Parses one <c>frame,quality,pdq_hex,timestamp</c> line.</summary>
    public static bool TryParseFrame(ReadOnlySpan<char> line, out int frame, out int quality, out PdqHash hash, out double timestamp, [NotNullWhen(false)] out string? problem)
    {
        frame = quality = 0;
        hash = default;
        timestamp = 0;
        Span<Range> parts = stackalloc Range[5];
        if (line.Split(parts, ',') != 4)
        {
            problem = "expected 4 comma-separated fields (frame,quality,hash,timestamp)";
            return false;
        }

        if (!int.TryParse(line[parts[0]].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out frame) || frame < 0)
        {
            problem = "frame number is not a whole number >= 0";
            return false;
        }

        if (!int.TryParse(line[parts[1]].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out quality) || quality is < 0 or > 100)
        {
            problem = "quality is not a whole number 0..100";
            return false;
        }

        var hex = line[parts[2]].Trim();
        if (hex.Length != PdqHash.HexLength || !HexKeys.IsHex(hex) || !PdqHash.TryParse(hex, out hash))
        {
            problem = $"hash is not {PdqHash.HexLength} hex digits";
            return false;
        }

        if (!double.TryParse(line[parts[3]].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out timestamp) || !double.IsFinite(timestamp) || timestamp < 0)
        {
            problem = "timestamp is not a number of seconds >= 0";
            return false;
        }

        problem = null;
        return true;
    }

    public override void ValidateThreshold(double threshold) => SignalTypes.Pdq.ValidateThreshold(threshold);

    internal override SignalMatcher CreateMatcher(SignalMatcherContext context) => new NoSignalMatcher();
}

/// <summary>Holds nothing and finds nothing: for types matched outside <see cref="ListMatcher"/>.</summary>
internal sealed class NoSignalMatcher : SignalMatcher
{
    public override void Add(int slot, int valueRow, ReadOnlySpan<byte> value, bool enabled)
    {
    }

    public override void Remove(int slot, int valueRow)
    {
    }

    public override void SetEnabled(int slot, int valueRow, bool enabled)
    {
    }

    public override void Match(FileSignals signals, double maxDistance, List<SignalHit> hits)
    {
    }
}
