using Needle.Matching.Lists;

namespace Needle.Video;

/// <summary>
/// The vPDQ entries (<see cref="SignalTypes.Vpdq"/>) of hash lists in one <see cref="VideoIndex"/>, kept up to date
/// entry by entry: adding indexes the entry's frames, disabling hides it, removing hides it for good (its frames stay
/// in the index until the next rebuild, which a list reload does). Thread-safe: one lock serialises matches and
/// changes (a video match costs little next to hashing the video). Per video it keeps the list and the entry id only
/// (the frames are columns in the <see cref="VideoIndex"/>); a match reads the entry's details from its list.
/// </summary>
public sealed class VideoListIndex
{
    private readonly Lock _lock = new();
    private readonly VideoIndex _index = new();
    private readonly Dictionary<(string List, int Entry), int> _videoByEntry = [];
    private readonly List<(HashList List, int EntryId)> _owners = [];
    private readonly HashSet<int> _hidden = [];

    /// <summary>Builds the index from the vPDQ entries of <paramref name="lists"/>.</summary>
    public VideoListIndex(IEnumerable<HashList> lists)
    {
        ArgumentNullException.ThrowIfNull(lists);
        foreach (var list in lists)
        {
            foreach (var entry in list.EntriesOf(SignalTypes.Vpdq))
            {
                Add(list, entry);
            }
        }
    }

    /// <summary>Video entries indexed and visible.</summary>
    public int Count
    {
        get
        {
            _lock.Enter();
            try
            {
                return _videoByEntry.Count - _hidden.Count;
            }
            finally
            {
                _lock.Exit();
            }
        }
    }

    /// <summary>Indexes <paramref name="entry"/> of <paramref name="list"/> when it is a vPDQ entry (others are ignored).</summary>
    public void Add(HashList list, HashListEntry entry)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.SignalType != SignalTypes.Vpdq)
        {
            return;
        }

        var frames = ParseFrames(entry.Value);
        _lock.Enter();
        try
        {
            if (_videoByEntry.TryGetValue((list.Name, entry.Id), out var previous))
            {
                _hidden.Add(previous);
            }

            var id = _index.Add(new KnownVideo($"{list.Name}/{entry.Id}", frames, entry.Metadata.GetValueOrDefault("md5")));
            _owners.Add((list, entry.Id));
            _videoByEntry[(list.Name, entry.Id)] = id;
            if (!entry.Enabled)
            {
                _hidden.Add(id);
            }
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>Shows or hides an entry; false when it is not a video entry here.</summary>
    public bool SetEnabled(string listName, int entryId, bool enabled)
    {
        _lock.Enter();
        try
        {
            if (!_videoByEntry.TryGetValue((listName, entryId), out var id))
            {
                return false;
            }

            _ = enabled ? _hidden.Remove(id) : _hidden.Add(id);
            return true;
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>Removes an entry; false when it is not a video entry here.</summary>
    public bool Remove(string listName, int entryId)
    {
        _lock.Enter();
        try
        {
            if (!_videoByEntry.Remove((listName, entryId), out var id))
            {
                return false;
            }

            _hidden.Add(id);
            return true;
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>Removes every entry of a list.</summary>
    public void RemoveList(string listName)
    {
        _lock.Enter();
        try
        {
            foreach (var key in _videoByEntry.Keys.Where(k => string.Equals(k.List, listName, StringComparison.Ordinal)).ToList())
            {
                _hidden.Add(_videoByEntry[key]);
                _videoByEntry.Remove(key);
            }
        }
        finally
        {
            _lock.Exit();
        }
    }

    /// <summary>The visible entries matching <paramref name="query"/> (vPDQ rules and MD5), best first.</summary>
    public IReadOnlyList<VideoListMatch> Match(VideoHash query, VpdqMatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= new VpdqMatchOptions();
        var visible = new List<(HashList List, int EntryId, VideoMatch Match)>();
        _lock.Enter();
        try
        {
            if (_videoByEntry.Count == 0)
            {
                return [];
            }

            foreach (var match in _index.Match(query, options with { MaxResults = int.MaxValue }))
            {
                if (!_hidden.Contains(match.VideoId))
                {
                    var (list, entryId) = _owners[match.VideoId];
                    visible.Add((list, entryId, match));
                }
            }
        }
        finally
        {
            _lock.Exit();
        }

        // The entries' details from their lists, outside the lock (an entry removed meanwhile is left out).
        var result = new List<VideoListMatch>();
        foreach (var (list, entryId, match) in visible)
        {
            if (result.Count == options.MaxResults)
            {
                break;
            }

            if (list.TryGet(entryId, out var entry))
            {
                result.Add(new VideoListMatch(list.Name, list.Kind, entry, match));
            }
        }

        return result;
    }

    /// <summary>The frames of a normalized vPDQ value (lines joined by ';').</summary>
    public static List<VpdqFrame> ParseFrames(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var frames = new List<VpdqFrame>();
        var text = value.AsSpan();
        foreach (var range in text.SplitAny(";\n"))
        {
            var line = text[range].Trim();
            if (line.IsEmpty || line[0] == '#')
            {
                continue;
            }

            if (!VpdqFormat.TryParseLine(line, out var frame, out var error))
            {
                throw new FormatException($"vPDQ frame {frames.Count + 1}: {error}");
            }

            frames.Add(frame);
        }

        return frames;
    }

    /// <summary>A vPDQ value for a list entry: the frames as vPDQ lines joined by ';'.</summary>
    public static string FormatValue(IEnumerable<VpdqFrame> frames) => string.Join(';', frames.Select(VpdqFormat.FormatLine));

}
