using System.Globalization;
using Needle.Core.Lists;
using Needle.Core.Storage;

namespace Needle.Application.Exchanges;

/// <summary>
/// One list's changes as a paged feed over the list change log, for another Needle server to follow (the
/// <c>needle</c> exchange kind). The cursor is <c>S</c> (every change up to log sequence S read) or <c>S:I</c> (also
/// the ids up to I of the first change after S, when a change was larger than a page). Each change gives the entry's
/// current state, or that it is gone.
/// </summary>
public static class ListChangeFeed
{
    /// <summary>Log rows read per round trip.</summary>
    private const int LogBatch = 64;

    /// <summary>Reads up to <paramref name="limit"/> changes of <paramref name="listName"/> after <paramref name="cursor"/>.</summary>
    /// <exception cref="ArgumentException">The cursor is not "S" or "S:I" with whole numbers.</exception>
    public static async Task<ListChangeFeedPage> ReadAsync(IListStore store, string listName, string? cursor, int limit, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        var (sequence, within) = Parse(cursor);
        var changes = new List<ListChangeFeedItem>();
        while (true)
        {
            var rows = await store.ReadChangesAsync(sequence, LogBatch, ct).ConfigureAwait(false);
            foreach (var row in rows)
            {
                if (row.Kind == ListChangeKind.EntriesChanged && string.Equals(row.ListName, listName, StringComparison.Ordinal))
                {
                    var stored = row.Entries;
                    var next = 0;
                    for (var id = Math.Max(row.FirstEntryId, within + 1); id <= row.LastEntryId && id > 0; id++)
                    {
                        while (next < stored.Count && stored[next].Id < id)
                        {
                            next++;
                        }

                        changes.Add(next < stored.Count && stored[next].Id == id ? new ListChangeFeedItem(id, stored[next]) : new ListChangeFeedItem(id, null));
                        if (changes.Count == limit && id < row.LastEntryId)
                        {
                            return new ListChangeFeedPage(Format(sequence, id), true, changes);
                        }
                    }
                }

                sequence = row.Sequence;
                within = 0;
                if (changes.Count >= limit)
                {
                    return new ListChangeFeedPage(Format(sequence, 0), true, changes);
                }
            }

            if (rows.Count < LogBatch)
            {
                return new ListChangeFeedPage(Format(sequence, 0), false, changes);
            }
        }
    }

    private static string Format(long sequence, int within) =>
        within > 0 ? string.Create(CultureInfo.InvariantCulture, $"{sequence}:{within}") : sequence.ToString(CultureInfo.InvariantCulture);

    private static (long Sequence, int Within) Parse(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return (0, 0);
        }

        var colon = cursor.IndexOf(':', StringComparison.Ordinal);
        var sequenceText = colon < 0 ? cursor : cursor[..colon];
        var withinText = colon < 0 ? "0" : cursor[(colon + 1)..];
        if (!long.TryParse(sequenceText, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !int.TryParse(withinText, NumberStyles.None, CultureInfo.InvariantCulture, out var within))
        {
            throw new ArgumentException($"The cursor 'after' is a change sequence (\"57\") or a sequence and an entry id (\"57:1200\"); got '{(cursor.Length > 40 ? cursor[..40] + "..." : cursor)}'.", nameof(cursor));
        }

        return (sequence, within);
    }
}
