using System.Diagnostics;
using System.Globalization;

namespace Needle.Server.Processing;

/// <summary>
/// A worker's id in the job queue, <c>host/pid/n</c>, and how a starting server tells that a lease is held by a worker
/// that is certainly dead: one of this host whose process is gone, or whose pid is this process's own (a process held
/// by its pid, such as pid 1 in a restarted container, cannot be the one that leased: at start this process holds no
/// lease). Leases held on other hosts, or by a live process here (another server on the same file), are left to expire.
/// </summary>
internal static class WorkerIdentity
{
    public static string Create(string host, int processId, int worker) =>
        string.Create(CultureInfo.InvariantCulture, $"{host}/{processId}/{worker}");

    public static bool IsAbandoned(string leasedBy, string host, int processId, Func<int, bool> isRunning)
    {
        ArgumentNullException.ThrowIfNull(leasedBy);
        ArgumentNullException.ThrowIfNull(isRunning);
        var parts = leasedBy.Split('/');
        if (parts.Length != 3 || !string.Equals(parts[0], host, StringComparison.Ordinal) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            return false;
        }

        return pid == processId || !isRunning(pid);
    }

    /// <summary>Whether a process with this id runs on this machine now (a reused pid counts as running: the lease then simply expires).</summary>
    public static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
