using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Needle.Core.Access;

namespace Needle.Server.Auth;

/// <summary>
/// Caches successful key lookups for a few seconds so a busy client does not cost a database read per request.
/// Entries are keyed by SHA-256 of the presented key (the key text itself is never held), remember the record's expiry,
/// and are dropped at once when the key is revoked through this server; a revocation made elsewhere (the CLI on the
/// same database) takes effect when the entry ages out, within <see cref="NeedleServerOptions.KeyCacheDuration"/>.
/// Failures are not cached, so a new key works at once.
/// </summary>
internal sealed class ApiKeyCache(TimeProvider time, TimeSpan duration)
{
    // Bounded: past this many entries the cache is emptied rather than grown (cheap, and only costs re-lookups).
    private const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public bool TryGet(string presentedKey, out ApiKeyRecord record)
    {
        record = null!;
        if (duration <= TimeSpan.Zero || !_entries.TryGetValue(Fingerprint(presentedKey), out var entry))
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (now >= entry.CachedUntil || entry.Record.ExpiresAt is { } expiry && expiry <= now)
        {
            _entries.TryRemove(Fingerprint(presentedKey), out _);
            return false;
        }

        record = entry.Record;
        return true;
    }

    public void Add(string presentedKey, ApiKeyRecord record)
    {
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[Fingerprint(presentedKey)] = new Entry(record, time.GetUtcNow() + duration);
    }

    /// <summary>Forgets every cached lookup of a key (called when it is revoked).</summary>
    public void Invalidate(Guid keyId)
    {
        foreach (var (fingerprint, entry) in _entries)
        {
            if (entry.Record.Id == keyId)
            {
                _entries.TryRemove(fingerprint, out _);
            }
        }
    }

    private static string Fingerprint(string presentedKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey)));

    private sealed record Entry(ApiKeyRecord Record, DateTimeOffset CachedUntil);
}
