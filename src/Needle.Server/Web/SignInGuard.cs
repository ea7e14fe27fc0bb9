using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Server.Web;

/// <summary>
/// Refused sign-ins per client address, in bursts: the first refusal of a burst is audited at once; the rest (refused,
/// or turned away with 429 once the address made <see cref="RateLimitOptions.RefusedSignInsPerAddress"/> refused
/// attempts) are counted and written as one <c>session.signin-refused</c> entry with the counts when the burst ends
/// (the address quiet for <see cref="RateLimitOptions.SignInBurstQuiet"/>, or <see cref="RateLimitOptions.MaxSignInBurst"/>
/// after it began, or at shutdown). A flood of wrong keys makes a handful of entries, never one row per attempt.
/// </summary>
internal sealed partial class SignInGuard(INeedleStore store, TimeProvider time, NeedleServerOptions options, ILogger<SignInGuard> logger) : BackgroundService
{
    /// <summary>Addresses tracked at once; past this a refusal is audited on its own (a spray from many addresses).</summary>
    private const int MaxTrackedAddresses = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Burst> _bursts = new(StringComparer.Ordinal);
    private readonly RateLimitOptions _limits = options.RateLimits;

    /// <summary>
    /// Before a sign-in is checked: null when the address may try (a slot is held until <see cref="End"/>, so attempts
    /// in flight count too), else how long it must wait (the attempt is counted as throttled).
    /// </summary>
    public TimeSpan? TryBegin(string address)
    {
        if (!_limits.Enabled)
        {
            return null;
        }

        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (Track(address, now) is not { } burst)
            {
                return null;
            }

            burst.Last = now;
            if (burst.Refused + burst.Pending >= _limits.RefusedSignInsPerAddress)
            {
                burst.Throttled++;
                return _limits.SignInBurstQuiet;
            }

            burst.Pending++;
            return null;
        }
    }

    /// <summary>After a sign-in that <see cref="TryBegin"/> let through, refused or not.</summary>
    public void End(string address)
    {
        lock (_lock)
        {
            if (_bursts.TryGetValue(address, out var burst) && burst.Pending > 0)
            {
                burst.Pending--;
            }
        }
    }

    /// <summary>An attempt turned away before it was checked (the per-address sign-in rate limit): counted in the burst.</summary>
    public void Throttled(string address)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (Track(address, now) is { } burst)
            {
                burst.Throttled++;
                burst.Last = now;
            }
        }
    }

    /// <summary>A refused sign-in: audited at once when it opens a burst, else counted in it.</summary>
    public async Task RefusedAsync(string address, string actor, string reason, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        bool first;
        lock (_lock)
        {
            var burst = Track(address, now);
            first = burst is null || burst.Refused == 0 && burst.Throttled == 0;
            if (burst is not null)
            {
                burst.Refused++;
                burst.Last = now;
                if (!first)
                {
                    burst.Reasons[reason] = burst.Reasons.GetValueOrDefault(reason) + 1;
                    if (burst.Actors.Count < 10)
                    {
                        burst.Actors.Add(actor);
                    }
                }
            }
        }

        if (first)
        {
            await store.Audit.AppendAsync(new AuditEntryDraft(actor, "session.signin-refused", "session",
                JsonSerializer.Serialize(new { reason, count = 1 }), address), cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(_limits.SignInBurstQuiet.Ticks / 2, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(5).Ticks));
        using var timer = new PeriodicTimer(period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await FlushAsync(all: false, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: StopAsync writes what is left.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await FlushAsync(all: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the bursts that ended (or all of them) as one audit entry each.</summary>
    internal async Task FlushAsync(bool all, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        List<(string Address, Burst Burst)> ended = [];
        lock (_lock)
        {
            foreach (var (address, burst) in _bursts)
            {
                if (all || (burst.Pending == 0 && now - burst.Last >= _limits.SignInBurstQuiet) || now - burst.First >= _limits.MaxSignInBurst)
                {
                    ended.Add((address, burst));
                }
            }

            foreach (var (address, _) in ended)
            {
                _bursts.Remove(address);
            }
        }

        foreach (var (address, burst) in ended)
        {
            // The first refusal was written when it came; the entry says what followed it.
            var count = burst.Refused - 1 + burst.Throttled;
            if (count <= 0)
            {
                continue;
            }

            var details = JsonSerializer.Serialize(new
            {
                count,
                refused = Math.Max(0, burst.Refused - 1),
                throttled = burst.Throttled,
                reasons = burst.Reasons,
                from = burst.First,
                to = burst.Last,
                keys = burst.Actors.Where(a => a != "anonymous").Order(StringComparer.Ordinal).ToList(),
            });
            var actor = burst.Actors.Count == 1 ? burst.Actors.First() : "anonymous";
            try
            {
                await store.Audit.AppendAsync(new AuditEntryDraft(actor, "session.signin-refused", "session", details, address), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFlushFailed(logger, ex, address, count);
            }
        }
    }

    /// <summary>The burst of <paramref name="address"/>, opened if there is none; null when too many addresses are tracked.</summary>
    private Burst? Track(string address, DateTimeOffset now)
    {
        if (_bursts.TryGetValue(address, out var burst))
        {
            return burst;
        }

        if (_bursts.Count >= MaxTrackedAddresses)
        {
            return null;
        }

        burst = new Burst { First = now, Last = now };
        _bursts[address] = burst;
        return burst;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not audit a burst of {Count} refused sign-ins from {Address}")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string address, int count);

    private sealed class Burst
    {
        public DateTimeOffset First { get; init; }

        public DateTimeOffset Last { get; set; }

        public int Refused { get; set; }

        public int Throttled { get; set; }

        public int Pending { get; set; }

        public Dictionary<string, int> Reasons { get; } = new(StringComparer.Ordinal);

        public HashSet<string> Actors { get; } = new(StringComparer.Ordinal);
    }
}
