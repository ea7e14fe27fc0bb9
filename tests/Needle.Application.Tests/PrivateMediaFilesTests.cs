using System.Diagnostics;
using Needle.Application.Media;

namespace Needle.Application.Tests;

/// <summary>Decrypted media for ffmpeg: private files in a folder per process, and the clean-up a starting node runs.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PrivateMediaFilesTests : IDisposable
{
    private readonly string _root = Path.Combine(Directory.CreateTempSubdirectory("needle-media-test-").FullName, "media");

    [Fact]
    public void A_file_is_written_private_in_a_private_folder_named_after_this_process()
    {
        var path = PrivateMediaFiles.Write([1, 2, 3], _root);

        Assert.Equal([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var folder = Path.GetDirectoryName(path)!;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.StartsWith(Environment.ProcessId + "-", Path.GetFileName(folder), StringComparison.Ordinal);
    }

    [Fact]
    public void The_folders_of_dead_and_replaced_processes_go_and_those_of_live_ones_stay()
    {
        var live = Folder(FolderOf(100, 5_000));
        var dead = Folder(FolderOf(200, 6_000));
        var reused = Folder(FolderOf(300, 7_000));
        var notOurs = Folder("lost+found");

        // 100 runs with the same start; 200 runs no more; 300 now belongs to a process started later.
        var removed = PrivateMediaFiles.RemoveAbandoned(_root, pid => pid switch { 100 => 5_000, 300 => 9_000, _ => null });

        Assert.Equal(2, removed);
        Assert.True(Directory.Exists(live));
        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(reused));
        Assert.True(Directory.Exists(notOurs));
    }

    [Fact]
    public void With_the_real_process_table_this_process_keeps_its_folder_and_an_ended_one_loses_its()
    {
        var own = Path.GetDirectoryName(PrivateMediaFiles.Write([9], _root))!;
        // A process that runs until it is killed, so its start time can be read before it ends.
        using var ended = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        var endedStart = ended.StartTime.ToUniversalTime().Ticks;
        ended.Kill();
        ended.WaitForExit();
        var endedFolder = Folder(PrivateMediaFiles.FolderName(ended.Id, endedStart));

        Assert.Equal(1, PrivateMediaFiles.RemoveAbandoned(_root));

        Assert.True(Directory.Exists(own));
        Assert.False(Directory.Exists(endedFolder));
    }

    [Fact]
    public void No_root_yet_is_nothing_to_clean()
    {
        Assert.Equal(0, PrivateMediaFiles.RemoveAbandoned(Path.Combine(_root, "none")));
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_root)!, recursive: true);

    private static string FolderOf(int pid, long ticks) => PrivateMediaFiles.FolderName(pid, ticks);

    private string Folder(string name)
    {
        var path = Path.Combine(_root, name);
        Directory.CreateDirectory(path);
        File.WriteAllBytes(Path.Combine(path, "plain"), [42]);
        return path;
    }
}
