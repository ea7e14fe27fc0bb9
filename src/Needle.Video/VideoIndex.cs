using System.Runtime.InteropServices;
using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Video;

/// <summary>
/// All frames of all known videos in one <see cref="MultiIndexHammingIndex"/>; a query's frames are range-searched
/// once each and the hits are counted per video, so the cost grows with the number of hits, not of videos.
/// </summary>
/// <remarks>
/// Build first, then query; queries may run concurrently once building is done. A known video is kept as compact
/// columns, no object per frame: its distinct frame hashes live only in the PDQ index (entry id = frame row), and per
/// frame row the video it belongs to and where its timestamps start in one column of numbers; per video its first frame
/// row, sampling step and <see cref="IndexedVideo"/>.
/// </remarks>
public sealed class VideoIndex
{
    private const int MaxInstancesPerHash = 256;
    private const int MaxSegments = 50;

    private readonly int _minQuality;
    private readonly IPdqIndex _index;
    private readonly List<IndexedVideo> _videos = [];
    private readonly List<double> _steps = [];

    // Video v's distinct frames are rows _firstFrame[v] .. _firstFrame[v + 1] - 1 (one sentinel at the end).
    private readonly List<int> _firstFrame = [0];

    // Per frame row: its video, and its timestamps _timestamps[_firstTimestamp[row] .. _firstTimestamp[row + 1] - 1].
    private readonly List<int> _frameVideo = [];
    private readonly List<int> _firstTimestamp = [0];
    private readonly List<double> _timestamps = [];
    private readonly Dictionary<string, List<int>> _byMd5 = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="minQuality">
    /// Frames of known videos below this quality are not indexed (vPDQ: 50). Hashes keep such frames, as the reference
    /// writes them; this is where they are left out, like the query's under <see cref="VpdqMatchOptions.MinQuality"/>.
    /// </param>
    /// <param name="index">The PDQ index to fill (default: a new <see cref="MultiIndexHammingIndex"/>).</param>
    public VideoIndex(int minQuality = 50, IPdqIndex? index = null)
    {
        _minQuality = minQuality;
        _index = index ?? new MultiIndexHammingIndex();
    }

    /// <summary>Known videos added.</summary>
    public int Count => _videos.Count;

    /// <summary>Distinct frame hashes indexed.</summary>
    public int FrameCount => _frameVideo.Count;

    /// <summary>The known videos, by id.</summary>
    public IReadOnlyList<IndexedVideo> Videos => _videos;

    /// <summary>Adds a known video; returns its id (0, 1, ...). Its frames are copied into the columns, not kept.</summary>
    public int Add(KnownVideo video)
    {
        ArgumentNullException.ThrowIfNull(video);
        var id = _videos.Count;
        var frames = video.Frames;

        // Quality filter, then one row per distinct hash (first seen first) with up to MaxInstancesPerHash timestamps
        // in frame order: counted first, so each row's timestamps are placed side by side in the column.
        var rowOf = new Dictionary<PdqHash, int>();
        var hashes = new List<PdqHash>();
        var counts = new List<int>();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (frame.Quality < _minQuality || frame.Hash == PdqHash.Zero)
            {
                continue;
            }

            if (!rowOf.TryGetValue(frame.Hash, out var row))
            {
                rowOf[frame.Hash] = row = hashes.Count;
                hashes.Add(frame.Hash);
                counts.Add(0);
            }

            if (counts[row] < MaxInstancesPerHash)
            {
                counts[row]++;
            }
        }

        var firstRow = _frameVideo.Count;
        var starts = new int[hashes.Count];
        var end = _timestamps.Count;
        for (var row = 0; row < hashes.Count; row++)
        {
            starts[row] = end;
            end = checked(end + counts[row]);
        }

        CollectionsMarshal.SetCount(_timestamps, end);
        var timestamps = CollectionsMarshal.AsSpan(_timestamps);
        var filled = new int[hashes.Count];
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (frame.Quality < _minQuality || frame.Hash == PdqHash.Zero)
            {
                continue;
            }

            var row = rowOf[frame.Hash];
            if (filled[row] < counts[row])
            {
                timestamps[starts[row] + filled[row]++] = frame.Timestamp;
            }
        }

        for (var row = 0; row < hashes.Count; row++)
        {
            _index.Add(firstRow + row, hashes[row]);
            _frameVideo.Add(id);
            _firstTimestamp.Add(starts[row] + counts[row]);
        }

        _videos.Add(new IndexedVideo(video.Name, video.Md5, video.Label, frames.Count));
        _steps.Add(EstimateStep(frames, _minQuality));
        _firstFrame.Add(firstRow + hashes.Count);
        if (video.Md5 is not null)
        {
            if (!_byMd5.TryGetValue(video.Md5, out var ids))
            {
                _byMd5[video.Md5] = ids = [];
            }

            ids.Add(id);
        }

        return id;
    }

    /// <summary>Finds the known videos matching <paramref name="query"/>, best first.</summary>
    public IReadOnlyList<VideoMatch> Match(VideoHash query, VpdqMatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Match(query.Frames, query.DihedralFrames, query.Digests?.Md5, options);
    }

    /// <summary>Finds the known videos matching the query frames (and MD5), best first.</summary>
    public IReadOnlyList<VideoMatch> Match(IReadOnlyList<VpdqFrame> frames, IReadOnlyList<PdqHash[]>? dihedral, string? md5, VpdqMatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(frames);
        options ??= new VpdqMatchOptions();
        var best = new Dictionary<int, VideoMatch>();
        var transforms = options.Dihedral && dihedral is not null && dihedral.Count == frames.Count ? 8 : 1;
        var queryStep = EstimateStep(frames, options.MinQuality);
        var hits = new List<HammingHit>();
        for (var t = 0; t < transforms; t++)
        {
            var transform = (DihedralTransform)t;
            var unique = Dedupe(frames, transforms > 1 ? dihedral : null, options.MinQuality, transform);
            if (unique.Length == 0)
            {
                break;
            }

            // Per candidate video: which query frames matched, which of its frames matched.
            var perVideo = new Dictionary<int, (HashSet<int> Query, HashSet<int> Known, List<(int Query, int Known)> Pairs)>();
            for (var u = 0; u < unique.Length; u++)
            {
                hits.Clear();
                _index.RangeSearch(unique[u].Hash, options.MaxDistance, hits);
                foreach (var hit in hits)
                {
                    var video = _frameVideo[hit.EntryId];
                    var frame = hit.EntryId - _firstFrame[video];
                    if (!perVideo.TryGetValue(video, out var state))
                    {
                        perVideo[video] = state = ([], [], []);
                    }

                    state.Query.Add(u);
                    state.Known.Add(frame);
                    state.Pairs.Add((u, frame));
                }
            }

            foreach (var (video, state) in perVideo)
            {
                var queryPercent = state.Query.Count * 100.0 / unique.Length;
                var knownPercent = state.Known.Count * 100.0 / (_firstFrame[video + 1] - _firstFrame[video]);
                var rule = VideoMatchRule.None;
                if (knownPercent >= options.MinKnownPercent && queryPercent >= options.MinQueryPercent)
                {
                    rule |= VideoMatchRule.Known;
                }

                if (options.ClipQueryPercent is { } clip && queryPercent >= clip)
                {
                    rule |= VideoMatchRule.Clip;
                }

                if (rule == VideoMatchRule.None)
                {
                    continue;
                }

                if (best.TryGetValue(video, out var previous) && previous.QueryPercent + previous.KnownPercent >= queryPercent + knownPercent)
                {
                    continue;
                }

                var segments = BuildSegments(unique, _firstFrame[video], state.Pairs, queryStep, _steps[video]);
                best[video] = new VideoMatch(video, _videos[video], rule, queryPercent, knownPercent, transform, segments);
            }
        }

        if (md5 is not null && _byMd5.TryGetValue(md5, out var exact))
        {
            foreach (var video in exact)
            {
                best[video] = best.TryGetValue(video, out var found)
                    ? found with { Rule = found.Rule | VideoMatchRule.Md5 }
                    : new VideoMatch(video, _videos[video], VideoMatchRule.Md5, 100, 100, DihedralTransform.Original, []);
            }
        }

        return best.Values
            .OrderByDescending(m => (m.Rule & VideoMatchRule.Md5) != 0)
            .ThenByDescending(m => Math.Max(m.QueryPercent, m.KnownPercent))
            .ThenBy(m => m.VideoId)
            .Take(options.MaxResults)
            .ToList();
    }

    /// <summary>The vPDQ comparison of two videos by brute force, as the reference defines it (for checks and small sets).</summary>
    public static (double QueryPercent, double KnownPercent) CompareBrute(IReadOnlyList<VpdqFrame> query, IReadOnlyList<VpdqFrame> known, int maxDistance = 31, int minQuality = 50)
    {
        var q = Dedupe(query, null, minQuality, DihedralTransform.Original);
        var k = Dedupe(known, null, minQuality, DihedralTransform.Original);
        if (q.Length == 0 || k.Length == 0)
        {
            return (0, 0);
        }

        var qMatched = q.Count(a => k.Any(b => a.Hash.HammingDistance(b.Hash) <= maxDistance));
        var kMatched = k.Count(b => q.Any(a => a.Hash.HammingDistance(b.Hash) <= maxDistance));
        return (qMatched * 100.0 / q.Length, kMatched * 100.0 / k.Length);
    }

    /// <summary>A known frame row's timestamps (at most <see cref="MaxInstancesPerHash"/>, in frame order).</summary>
    private ReadOnlySpan<double> KnownTimestamps(int row) =>
        CollectionsMarshal.AsSpan(_timestamps)[_firstTimestamp[row].._firstTimestamp[row + 1]];

    private sealed record UniqueFrame(PdqHash Hash, List<double> Timestamps);

    /// <summary>Quality filter, then one entry per distinct hash (the original hash decides identity) with all its timestamps.</summary>
    private static UniqueFrame[] Dedupe(IReadOnlyList<VpdqFrame> frames, IReadOnlyList<PdqHash[]>? dihedral, int minQuality, DihedralTransform transform)
    {
        var byHash = new Dictionary<PdqHash, UniqueFrame>();
        var order = new List<UniqueFrame>();
        for (var i = 0; i < frames.Count; i++)
        {
            var frame = frames[i];
            if (frame.Quality < minQuality || frame.Hash == PdqHash.Zero)
            {
                continue;
            }

            if (!byHash.TryGetValue(frame.Hash, out var unique))
            {
                var hash = dihedral is null ? frame.Hash : dihedral[i][(int)transform];
                byHash[frame.Hash] = unique = new UniqueFrame(hash, []);
                order.Add(unique);
            }

            if (unique.Timestamps.Count < MaxInstancesPerHash)
            {
                unique.Timestamps.Add(frame.Timestamp);
            }
        }

        return order.ToArray();
    }

    /// <summary>
    /// The sampling step: the median gap between consecutive timestamps of the frames at or above
    /// <paramref name="minQuality"/> (1 s when unknown). Only those frames count so that a hash holding every frame
    /// (as the reference writes it) gives the same step, and so the same time ranges, as one written without the
    /// low-quality frames.
    /// </summary>
    private static double EstimateStep(IReadOnlyList<VpdqFrame> frames, int minQuality)
    {
        var gaps = new List<double>();
        var previous = double.NaN;
        for (var i = 0; i < frames.Count; i++)
        {
            if (frames[i].Quality < minQuality)
            {
                continue;
            }

            var gap = frames[i].Timestamp - previous;
            if (gap > 0)
            {
                gaps.Add(gap);
            }

            previous = frames[i].Timestamp;
        }

        if (gaps.Count == 0)
        {
            return 1.0;
        }

        gaps.Sort();
        return gaps[gaps.Count / 2];
    }

    /// <summary>
    /// Turns matched frame pairs into corresponding time ranges: offsets (known time - query time) are voted in bins of
    /// one sampling step, each matched query instant takes the best-voted offset it supports, and consecutive instants
    /// sharing an offset merge into one segment.
    /// </summary>
    private List<MatchedSegment> BuildSegments(UniqueFrame[] query, int knownFirstRow, List<(int Query, int Known)> pairs, double queryStep, double knownStep)
    {
        var bin = Math.Max(Math.Max(queryStep, knownStep), 1e-3);
        var candidates = new Dictionary<double, List<double>>(); // query instant -> known instants
        foreach (var (q, k) in pairs)
        {
            foreach (var qt in query[q].Timestamps)
            {
                if (!candidates.TryGetValue(qt, out var list))
                {
                    candidates[qt] = list = [];
                }

                if (list.Count < MaxInstancesPerHash)
                {
                    var known = KnownTimestamps(knownFirstRow + k);
                    list.AddRange(known[..Math.Min(known.Length, MaxInstancesPerHash - list.Count)]);
                }
            }
        }

        var votes = new Dictionary<long, int>();
        foreach (var (qt, kts) in candidates)
        {
            foreach (var offsetBin in kts.Select(kt => (long)Math.Round((kt - qt) / bin)).Distinct())
            {
                votes[offsetBin] = votes.GetValueOrDefault(offsetBin) + 1;
            }
        }

        var instants = candidates.Keys.Order().ToList();
        var chosen = new List<(double Query, double Known, long Offset)>();
        foreach (var qt in instants)
        {
            var bestOffset = long.MinValue;
            var bestVotes = -1;
            var bestKnown = 0.0;
            foreach (var kt in candidates[qt])
            {
                var offsetBin = (long)Math.Round((kt - qt) / bin);
                var v = votes[offsetBin];
                if (v > bestVotes || (v == bestVotes && kt < bestKnown))
                {
                    (bestOffset, bestVotes, bestKnown) = (offsetBin, v, kt);
                }
            }

            chosen.Add((qt, bestKnown, bestOffset));
        }

        var segments = new List<MatchedSegment>();
        var gapLimit = queryStep * 3.5 + 1e-6; // up to two unmatched samples inside a segment
        var start = 0;
        for (var i = 1; i <= chosen.Count; i++)
        {
            var breaks = i == chosen.Count ||
                         chosen[i].Query - chosen[i - 1].Query > gapLimit ||
                         Math.Abs(chosen[i].Offset - chosen[i - 1].Offset) > 1;
            if (!breaks)
            {
                continue;
            }

            var first = chosen[start];
            var last = chosen[i - 1];
            segments.Add(new MatchedSegment(
                new TimeRange(first.Query, last.Query + queryStep),
                new TimeRange(Math.Min(first.Known, last.Known), Math.Max(first.Known, last.Known) + knownStep)));
            start = i;
        }

        return segments
            .OrderByDescending(s => s.Query.End - s.Query.Start)
            .Take(MaxSegments)
            .OrderBy(s => s.Query.Start)
            .ToList();
    }
}
