namespace Needle.Testing;

/// <summary>
/// Finds the repository's PDQ test vectors (<c>testdata/pdq</c> at the repository's root) from the test binary's
/// folder. Fails loudly when they are missing: a test that cannot find its data must not pass.
/// </summary>
public static class TestPaths
{
    private static readonly Lazy<string> PdqRoot = new(FindPdqRoot);

    /// <summary>The folder holding <c>photos/</c>, <c>variants/</c> and <c>bridge/</c> with their expected.csv files.</summary>
    public static string Pdq => PdqRoot.Value;

    /// <summary>A file under the PDQ test vectors, e.g. <c>Pdq("photos/p01_keong_macan.png")</c>.</summary>
    public static string PdqFile(string relative) => Path.Combine(Pdq, relative);

    /// <summary>The repository's root (the folder with Needle.slnx).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Needle.slnx")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Needle.slnx not found above " + AppContext.BaseDirectory);
        }
    }

    private static string FindPdqRoot()
    {
        var candidate = Path.Combine(RepositoryRoot, "testdata", "pdq");
        if (File.Exists(Path.Combine(candidate, "photos", "expected.csv")))
        {
            return candidate;
        }

        throw new InvalidOperationException(
            "The PDQ test vectors were not found: expected " + candidate + " (testdata/pdq in the repository).");
    }
}
