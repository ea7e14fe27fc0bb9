using System.Globalization;

namespace Needle.Server.Processing;

/// <summary>
/// The temporary files list imports are uploaded to, named with the process that owns them
/// (<c>needle-import-PID-GUID.tmp</c>): an import deletes its own, and a server starting after a crash deletes those of
/// processes that are gone (a killed import could not).
/// </summary>
internal static class ListImportFiles
{
    private const string Prefix = "needle-import-";

    /// <summary>A new file path for an upload of this process.</summary>
    public static string NewPath() =>
        Path.Combine(Path.GetTempPath(), string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{Guid.NewGuid():N}.tmp"));

    /// <summary>Deletes the uploads of processes no longer running (never this one's); returns how many.</summary>
    public static int RemoveAbandoned()
    {
        var removed = 0;
        foreach (var path in Directory.EnumerateFiles(Path.GetTempPath(), Prefix + "*.tmp"))
        {
            var name = Path.GetFileName(path).AsSpan(Prefix.Length);
            var dash = name.IndexOf('-');
            if (dash <= 0 || !int.TryParse(name[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
                pid == Environment.ProcessId || WorkerIdentity.IsRunning(pid))
            {
                continue;
            }

            try
            {
                File.Delete(path);
                removed++;
            }
            catch (IOException)
            {
                // Another server got there first, or it is busy: left for the next start.
            }
            catch (UnauthorizedAccessException)
            {
                // Another user's: not ours to delete.
            }
        }

        return removed;
    }
}
