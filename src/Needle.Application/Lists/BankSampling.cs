using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Application.Lists;

/// <summary>
/// HMA's bank "enabled ratio": a bank with ratio r takes part in an HMA lookup only when the lookup's coin flip (a
/// number in [0, 1)) is at most r, so it matches about the fraction r of the content looked up, which lets a new bank
/// be trialled on part of the traffic. As in HMA the flip is derived from a seed: the caller's <c>seed</c> (HMA's
/// content id for a consistent flip) or else the looked-up content itself, so the same item always gets the same
/// answer; <c>bypass_coinflip</c> skips it. Ratios are kept per bank in the settings store (scope
/// <c>hma-bank:NAME</c>); every change is audited. A lookup reads a bank's ratio from a short in-memory cache rather than
/// the store (a store read per lookup capped the lookup rate): a change made through this instance is seen at once, one
/// made on another node within <paramref name="cacheFor"/>.
/// </summary>
/// <param name="settings">Where the ratios are kept.</param>
/// <param name="time">The clock the cache ages by (the system clock when null).</param>
/// <param name="cacheFor">How long a ratio read from the store is reused; zero (the default) reads the store every time.</param>
public sealed class BankSampling(ISettingsStore settings, TimeProvider? time = null, TimeSpan cacheFor = default)
{
    /// <summary>The ratio of a bank that never had one set.</summary>
    public const double DefaultRatio = 1.0;

    private const string ScopePrefix = "hma-bank:";

    // Bounded: past this many banks the cache is emptied rather than grown (it only costs store reads).
    private const int MaxCached = 10_000;

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, CachedRatio> _cache = new(StringComparer.Ordinal);

    // Bumped by every change through this instance: a read that began before a change does not cache what it read.
    private long _changes;

    /// <summary>A bank's enabled ratio (1.0 unless set), from the cache while it is fresh.</summary>
    public ValueTask<double> GetRatioAsync(string bank, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bank);
        if (cacheFor > TimeSpan.Zero && _cache.TryGetValue(bank, out var cached) && _time.GetUtcNow() < cached.Until)
        {
            return ValueTask.FromResult(cached.Ratio);
        }

        return new ValueTask<double>(ReadRatioAsync(bank, cancellationToken));
    }

    private async Task<double> ReadRatioAsync(string bank, CancellationToken cancellationToken)
    {
        // Stamped before the read, so a value is never kept longer than cacheFor after it was current in the store.
        var until = _time.GetUtcNow() + cacheFor;
        var changes = Interlocked.Read(ref _changes);
        var ratio = await ReadStoredRatioAsync(bank, cancellationToken).ConfigureAwait(false);
        if (cacheFor > TimeSpan.Zero && Interlocked.Read(ref _changes) == changes)
        {
            if (_cache.Count >= MaxCached)
            {
                _cache.Clear();
            }

            _cache[bank] = new CachedRatio(ratio, until);
            if (Interlocked.Read(ref _changes) != changes)
            {
                // A change began while this was stored: forget it rather than risk keeping the old ratio.
                _cache.TryRemove(bank, out _);
            }
        }

        return ratio;
    }

    private async Task<double> ReadStoredRatioAsync(string bank, CancellationToken cancellationToken)
    {
        var json = await settings.GetSettingsAsync(ScopePrefix + bank, cancellationToken).ConfigureAwait(false);
        if (json is null)
        {
            return DefaultRatio;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.TryGetProperty("enabled_ratio", out var ratio) && ratio.TryGetDouble(out var value) ? value : DefaultRatio;
    }

    /// <summary>Sets a bank's enabled ratio ("hma.bank.ratio" in the audit log).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The ratio is not a number from 0 to 1.</exception>
    public Task SetRatioAsync(string bank, double ratio, string actor, string? remoteAddress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bank);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ValidateRatio(ratio);
        var json = JsonSerializer.Serialize(new Dictionary<string, double> { ["enabled_ratio"] = ratio });
        return SetAsync(bank, json, new AuditEntryDraft(actor, "hma.bank.ratio", bank, json, remoteAddress), cancellationToken);
    }

    private async Task SetAsync(string bank, string json, AuditEntryDraft audit, CancellationToken cancellationToken)
    {
        // Forgotten before and after the write, and reads in flight meanwhile are not cached: once the write is done,
        // no lookup through this instance sees the old ratio.
        Interlocked.Increment(ref _changes);
        _cache.TryRemove(bank, out _);
        try
        {
            await settings.SetSettingsAsync(ScopePrefix + bank, json, audit, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _changes);
            _cache.TryRemove(bank, out _);
        }
    }

    /// <summary>Throws unless <paramref name="ratio"/> is a number from 0 to 1.</summary>
    public static void ValidateRatio(double ratio)
    {
        if (double.IsNaN(ratio) || ratio is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "enabled_ratio must be a number from 0.0 to 1.0");
        }
    }

    /// <summary>The coin flip for a seed: a number in [0, 1) from the seed's SHA-256, the same for the same seed on every node.</summary>
    public static double CoinFlip(string seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(seed), digest);
        return (BinaryPrimitives.ReadUInt64BigEndian(digest) >> 11) / (double)(1UL << 53);
    }

    /// <summary>Whether a bank with <paramref name="ratio"/> takes part in a lookup whose flip is <paramref name="coinFlip"/> (HMA: ratio ≥ flip).</summary>
    public static bool Admits(double ratio, double coinFlip) => ratio >= coinFlip;

    /// <summary>A ratio as HMA clients send it: a JSON number or a string holding one (Coop sends "0.5").</summary>
    public static bool TryReadRatio(JsonElement value, out double ratio)
    {
        ratio = 0;
        return value.ValueKind switch
        {
            JsonValueKind.Number => value.TryGetDouble(out ratio),
            JsonValueKind.String => double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out ratio),
            _ => false,
        };
    }

    private sealed record CachedRatio(double Ratio, DateTimeOffset Until);
}
