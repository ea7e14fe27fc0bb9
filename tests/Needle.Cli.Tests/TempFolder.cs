namespace Needle.Cli.Tests;

/// <summary>A temporary folder removed when the test ends.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "needle-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string relative) => System.IO.Path.Combine(Path, relative);

    /// <summary>Copies a file in, creating folders on the way; returns the new path.</summary>
    public string CopyIn(string source, string relative)
    {
        var target = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        System.IO.File.Copy(source, target);
        return target;
    }

    public string Write(string relative, byte[] bytes)
    {
        var target = File(relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
        System.IO.File.WriteAllBytes(target, bytes);
        return target;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
