using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Needle.Matching.Index;

/// <summary>
/// Allocation of the index's big arrays (hashes, bucket tables) so that random reads into them are cheap: on Linux the
/// memory is advised for transparent huge pages before it is first touched, so a lookup into hundreds of megabytes
/// costs one cache miss instead of a cache miss plus a TLB miss and page walk.
/// </summary>
/// <remarks>
/// Advice only: where the kernel has transparent huge pages off, the call fails or the array was already touched, the
/// arrays are ordinary 4 KiB-page arrays and everything works the same. The default Linux setting
/// (<c>transparent_hugepage/enabled = madvise</c>) honours the advice. Setting the environment variable
/// <c>NEEDLE_HUGE_PAGES=0</c> turns the advice off.
/// </remarks>
internal static partial class LargeArrays
{
    private const nuint HugePageBytes = 2 << 20;
    private const int MadviseHugePage = 14;

    /// <summary>Arrays smaller than this are left alone (they span few pages).</summary>
    private const long MinimumBytes = 8 << 20;

    /// <summary>Off where not Linux, or when the environment sets <c>NEEDLE_HUGE_PAGES=0</c> (for comparisons).</summary>
    private static readonly bool Unavailable =
        !OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("NEEDLE_HUGE_PAGES") == "0" || !MadviseLinks();

    /// <summary>An uninitialized array, advised for huge pages before any element is written.</summary>
    public static T[] AllocateUninitialized<T>(int length)
        where T : unmanaged
    {
        var array = GC.AllocateUninitializedArray<T>(length);
        AdviseHugePages(array);
        return array;
    }

    /// <summary>A zeroed array, advised for huge pages before it is zeroed.</summary>
    public static T[] AllocateZeroed<T>(int length)
        where T : unmanaged
    {
        var array = AllocateUninitialized<T>(length);
        array.AsSpan().Clear();
        return array;
    }

    /// <summary>Asks the kernel to back the whole 2 MiB pages inside <paramref name="array"/> with huge pages.</summary>
    public static unsafe void AdviseHugePages<T>(T[] array)
        where T : unmanaged
    {
        long bytes = array.LongLength * sizeof(T);
        if (Unavailable || bytes < MinimumBytes)
        {
            return;
        }

        // Large arrays live on the large object heap, which is not compacted by default, so the range stays valid;
        // if the array ever moved, the advice would merely apply to memory the heap reuses.
        nuint start = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        nuint first = (start + HugePageBytes - 1) & ~(HugePageBytes - 1);
        nuint end = (start + (nuint)bytes) & ~(HugePageBytes - 1);
        if (end <= first)
        {
            return;
        }

        // Advice only: a refusal (EINVAL where transparent huge pages are off) changes nothing, so it is not checked.
        _ = Madvise(first, end - first, MadviseHugePage);
    }

    /// <summary>Whether libc's madvise can be called at all, found out once (an empty range advises nothing).</summary>
    private static bool MadviseLinks()
    {
        try
        {
            _ = Madvise(0, 0, MadviseHugePage);
            return true;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nuint address, nuint length, int advice);
}
