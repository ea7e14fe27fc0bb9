using OpenCvSharp;

namespace Needle.Robust;

/// <summary>
/// The OpenCV native library (libOpenCvSharpExtern, about 110 MB and 30 ms of CPU to load): found cheaply at start-up,
/// loaded on first need.
/// </summary>
internal static class OpenCvLibrary
{
    private const string FileName = "libOpenCvSharpExtern.so";

    /// <summary>Whether the library file is in one of the folders the runtime looks in first for this application (it is, as built or published).</summary>
    public static bool IsInProbedFolder()
    {
        var folders = AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") as string ?? "";
        foreach (var folder in folders.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (File.Exists(Path.Combine(folder, FileName)))
            {
                return true;
            }
        }

        return File.Exists(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", FileName));
    }

    /// <summary>Loads the library (once per process: the runtime keeps it); a failure is a <see cref="RobustStartupException"/> saying what it needs.</summary>
    public static void Load()
    {
        try
        {
            _ = Cv2.GetVersionString();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            throw new RobustStartupException(
                $"the OpenCV native library ({FileName}, from OpenCvSharp4.official.runtime.linux-x64) could not be loaded: {e.GetBaseException().Message}. On Debian it needs libgtk-3-0 (apt-get install -y libgtk-3-0).", e);
        }
    }
}
