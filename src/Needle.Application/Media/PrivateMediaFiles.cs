using System.Diagnostics;
using System.Globalization;

namespace Needle.Application.Media;

/// <summary>
/// Decrypted media written for a child process (ffmpeg) to read. Files go to a folder of this process's own
/// (<c>ROOT/PID-STARTTICKS/</c>, 0700) as new files only this user can read (0600 from creation), and the caller deletes
/// each at once. A process killed mid-way cannot delete its files, so a starting node calls
/// <see cref="RemoveAbandoned(string?)"/>: the folders of processes that no longer run go, plaintext included.
/// </summary>
public static class PrivateMediaFiles
{
    /// <summary>The default root: <c>needle-media-USER</c> in the system temp folder.</summary>
    public static string DefaultRoot => Path.Combine(Path.GetTempPath(), "needle-media-" + Environment.UserName);

    /// <summary>
    /// Writes <paramref name="bytes"/> to a new private file in this process's folder under <paramref name="root"/>
    /// (<see cref="DefaultRoot"/> when null) and returns its path; the caller deletes it.
    /// </summary>
    public static string Write(ReadOnlySpan<byte> bytes, string? root)
    {
        var path = Path.Combine(ProcessFolder(root ?? DefaultRoot), Guid.NewGuid().ToString("N"));
        try
        {
            using var stream = new FileStream(path, PrivateFile());
            stream.Write(bytes);
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return path;
    }

    /// <summary>As <see cref="Write"/>, asynchronously.</summary>
    public static async Task<string> WriteAsync(ReadOnlyMemory<byte> bytes, string? root, CancellationToken cancellationToken)
    {
        var path = Path.Combine(ProcessFolder(root ?? DefaultRoot), Guid.NewGuid().ToString("N"));
        try
        {
            var stream = new FileStream(path, PrivateFile());
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            File.Delete(path);
            throw;
        }

        return path;
    }

    /// <summary>
    /// Deletes, under <paramref name="root"/> (<see cref="DefaultRoot"/> when null), the folders of processes that no
    /// longer run: the pid is gone, or it now belongs to another process (a different start time), or it is this
    /// process's own pid with another start (a restarted container reuses pid 1). Folders of live processes, such as
    /// another node on this machine, are left alone. Returns how many folders were removed.
    /// </summary>
    public static int RemoveAbandoned(string? root) => RemoveAbandoned(root ?? DefaultRoot, StartTicksOf);

    /// <summary>As <see cref="RemoveAbandoned(string?)"/>, with how to read a running process's start (for tests).</summary>
    /// <param name="root">The root folder.</param>
    /// <param name="startTicksOf">The UTC start ticks of the process with this pid, or null when none runs.</param>
    internal static int RemoveAbandoned(string root, Func<int, long?> startTicksOf)
    {
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var removed = 0;
        foreach (var folder in Directory.EnumerateDirectories(root))
        {
            if (!TryParseFolder(Path.GetFileName(folder), out var pid, out var startTicks) || startTicksOf(pid) == startTicks)
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
                removed++;
            }
            catch (DirectoryNotFoundException)
            {
                // Removed meanwhile by another starting node.
            }
        }

        return removed;
    }

    /// <summary>This process's folder under <paramref name="root"/>, created (with the root) if need be, 0700.</summary>
    internal static string ProcessFolder(string root)
    {
        var folder = Path.Combine(root, OwnFolderName);
        CreatePrivateDirectory(root);
        CreatePrivateDirectory(folder);
        return folder;
    }

    // A fact of this process (its pid and start), read once; not state that changes.
    private static readonly string OwnFolderName = ReadOwnFolderName();

    private static string ReadOwnFolderName()
    {
        using var self = Process.GetCurrentProcess();
        return FolderName(self.Id, self.StartTime.ToUniversalTime().Ticks);
    }

    internal static string FolderName(int pid, long startTicks) => string.Create(CultureInfo.InvariantCulture, $"{pid}-{startTicks}");

    private static bool TryParseFolder(string name, out int pid, out long startTicks)
    {
        startTicks = 0;
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return int.TryParse(name.AsSpan(0, Math.Max(0, dash)), NumberStyles.None, CultureInfo.InvariantCulture, out pid)
            & long.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out startTicks);
    }

    private static long? StartTicksOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : process.StartTime.ToUniversalTime().Ticks;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    private static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private static FileStreamOptions PrivateFile()
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        return options;
    }
}
