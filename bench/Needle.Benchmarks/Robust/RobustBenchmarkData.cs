namespace Needle.Benchmarks.Robust;

/// <summary>Where the benchmarks find the repository's test photos.</summary>
internal static class RobustBenchmarkData
{
    public static string RepositoryRoot()
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
