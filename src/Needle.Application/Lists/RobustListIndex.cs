using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Robust;

namespace Needle.Application.Lists;

/// <summary>
/// The robust entries of the lists behind one <see cref="RobustMatcher"/>, kept in step entry by entry: entries added
/// (or enabled again) join the matcher at once; entries removed or disabled stay in it but are dropped from its results
/// by the current state of their list (<paramref name="isCurrent"/>), and the matcher is rebuilt once they pile up.
/// Matching takes a read lock, changes a write lock, so many files match at once. Entries made by another model than
/// the extractor's are skipped, each list reported to <paramref name="otherModel"/> (once per matcher built).
/// </summary>
internal sealed class RobustListIndex(RobustFeatureExtractor extractor, Func<string, int, bool> isCurrent, Action<RobustModelMismatch>? otherModel = null) : IDisposable
{
    private readonly ReaderWriterLockSlim _lock = new();
    private RobustMatcher _matcher = new([], extractor, otherModel);
    private int _stale;

    public RobustFeatureExtractor Extractor => extractor;

    /// <summary>Robust entries held (some may be stale until the next rebuild).</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _matcher.Count - _stale;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Builds the matcher again from the lists' enabled robust entries (only those rows are read).</summary>
    public void Rebuild(IEnumerable<HashList> lists)
    {
        var matcher = new RobustMatcher([], extractor, otherModel);
        foreach (var list in lists)
        {
            foreach (var entry in list.EntriesOf(SignalTypes.Robust))
            {
                matcher.Add(list, entry);
            }
        }

        _lock.EnterWriteLock();
        try
        {
            _matcher = matcher;
            _stale = 0;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Adds an entry that is (now) enabled; any other signal is ignored.</summary>
    public void Add(HashList list, HashListEntry entry)
    {
        if (entry.SignalType != SignalTypes.Robust || !entry.Enabled)
        {
            return;
        }

        _lock.EnterWriteLock();
        try
        {
            _matcher.Add(list, entry);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>An entry was removed or disabled: its results are dropped from now on; rebuild when many are.</summary>
    public bool MarkStale()
    {
        _lock.EnterWriteLock();
        try
        {
            _stale++;
            return _stale > 64 && _stale * 4 > _matcher.Count;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>The listed pictures <paramref name="image"/> shows, by current entries only, each once.</summary>
    public MatchResult Match(DecodedImage image, RobustFeatures query, CancellationToken cancellationToken)
    {
        MatchResult found;
        _lock.EnterReadLock();
        try
        {
            if (_matcher.Count == 0)
            {
                return MatchResult.FromMatches([]);
            }

            found = _matcher.Match(image, query, cancellationToken);
        }
        finally
        {
            _lock.ExitReadLock();
        }

        if (found.Matches.Count == 0)
        {
            return found;
        }

        var kept = new List<ListMatch>(found.Matches.Count);
        var seen = new HashSet<(string, int)>();
        foreach (var match in found.Matches)
        {
            if (isCurrent(match.ListName, match.Entry.Id) && seen.Add((match.ListName, match.Entry.Id)))
            {
                kept.Add(match);
            }
        }

        return MatchResult.FromMatches(kept);
    }

    public void Dispose() => _lock.Dispose();
}
