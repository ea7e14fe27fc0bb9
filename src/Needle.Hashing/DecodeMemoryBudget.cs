using System.Runtime;
using Needle.Hashing.Decoding;

namespace Needle.Hashing;

/// <summary>
/// A process-wide limit on the pixel memory that decodes hold at once. A decode reserves its estimated bytes before it
/// allocates pixels and waits while the reservation would exceed the capacity (one decode larger than the whole budget
/// waits until it runs alone). After a spike, once no decode holds memory, the large object heap is compacted and
/// memory given back to the operating system.
/// </summary>
/// <remarks>Thread-safe. <see cref="Shared"/> is the default of <see cref="DecodeOptions.MemoryBudget"/>.</remarks>
public sealed class DecodeMemoryBudget
{
    // A plain object, not System.Threading.Lock: waiters use Monitor.Wait on it.
    private readonly object _lock = new();
    private long _inUse;
    private long _peakSinceTrim;
    private int _trims;

    /// <summary>A budget of <paramref name="capacityBytes"/>.</summary>
    /// <param name="capacityBytes">The most bytes of pixels held by decodes at once; must be positive.</param>
    /// <param name="trimAboveBytes">Memory is returned to the system after a spike that reached this many bytes; null for a quarter of the capacity.</param>
    public DecodeMemoryBudget(long capacityBytes, long? trimAboveBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacityBytes);
        CapacityBytes = capacityBytes;
        TrimAboveBytes = trimAboveBytes ?? Math.Max(64L * 1024 * 1024, capacityBytes / 4);
    }

    /// <summary>
    /// The budget shared by every decoder that is not given its own: a quarter of the memory available to the process,
    /// at least 512 MiB and at most 2 GiB (enough for two decodes at the default 100-megapixel limit).
    /// </summary>
    public static DecodeMemoryBudget Shared { get; } = new(Math.Clamp(
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4, 512L * 1024 * 1024, 2L * 1024 * 1024 * 1024));

    /// <summary>The most bytes decodes may hold at once.</summary>
    public long CapacityBytes { get; }

    /// <summary>After a spike that reached this many bytes, memory is compacted and returned once decodes stop.</summary>
    public long TrimAboveBytes { get; }

    /// <summary>Bytes reserved by decodes now.</summary>
    public long InUseBytes
    {
        get
        {
            lock (_lock)
            {
                return _inUse;
            }
        }
    }

    /// <summary>How many times memory was returned to the system after a spike (for tests and metrics).</summary>
    public int Trims => Volatile.Read(ref _trims);

    /// <summary>
    /// Reserves <paramref name="bytes"/>, waiting while they do not fit; the wait ends with the decode's time-out or
    /// cancellation. Dispose the result to give them back.
    /// </summary>
    internal Reservation Reserve(long bytes, DecodeGuard guard, string? name)
    {
        var wanted = Math.Clamp(bytes, 0, CapacityBytes);
        lock (_lock)
        {
            while (_inUse > 0 && _inUse + wanted > CapacityBytes)
            {
                guard.ThrowIfShouldStop(name);

                // Woken by a release; the timed wait also re-checks the time-out and cancellation.
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(50));
            }

            _inUse += wanted;
            _peakSinceTrim = Math.Max(_peakSinceTrim, _inUse);
        }

        return new Reservation(this, wanted);
    }

    private void Release(long bytes)
    {
        var trim = false;
        lock (_lock)
        {
            _inUse -= bytes;
            if (_inUse == 0 && _peakSinceTrim >= TrimAboveBytes)
            {
                _peakSinceTrim = 0;
                trim = true;
            }

            Monitor.PulseAll(_lock);
        }

        if (trim)
        {
            // Off the decoding thread: a compacting collection after a spike gives the pixel memory back to the system.
            ThreadPool.UnsafeQueueUserWorkItem(static budget => budget.Trim(), this, preferLocal: false);
        }
    }

    private void Trim()
    {
        lock (_lock)
        {
            if (_inUse > 0)
            {
                return; // A new spike started; its own release will trim.
            }
        }

        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        Interlocked.Increment(ref _trims);
    }

    /// <summary>Bytes reserved from a budget until disposed.</summary>
    internal readonly struct Reservation(DecodeMemoryBudget budget, long bytes) : IDisposable
    {
        public void Dispose() => budget?.Release(bytes);
    }
}
