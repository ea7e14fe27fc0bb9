namespace Needle.Hashing.Tests;

/// <summary>Finds the shared PDQ test vectors and the test project's own data files.</summary>
internal static class TestData
{
    private static readonly Lazy<string> PdqRoot = new(FindPdqRoot);

    /// <summary><c>shared/testdata/pdq</c>, found beside the repository (or above it).</summary>
    public static string PdqDirectory => PdqRoot.Value;

    /// <summary>A file in <c>shared/testdata/pdq/photos</c>.</summary>
    public static string Photo(string fileName) => Path.Combine(PdqDirectory, "photos", fileName);

    /// <summary>A path under <c>shared/testdata/pdq</c>.</summary>
    public static string Pdq(string relativePath) => Path.Combine(PdqDirectory, relativePath);

    /// <summary>The hostile regression files copied next to the test assembly.</summary>
    public static string HostileDirectory => Path.Combine(AppContext.BaseDirectory, "data", "hostile");

    private static string FindPdqRoot()
    {
        // In a worktree or a CI clone, ../shared sits beside the repository; walk up from the test binaries.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "testdata", "pdq");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"The PDQ test vectors (shared/testdata/pdq) were not found in any directory above {AppContext.BaseDirectory}. " +
            "Check out the shared test data beside the repository.");
    }
}
