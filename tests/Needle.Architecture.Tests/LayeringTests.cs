using System.Xml.Linq;
using Needle.Testing;

namespace Needle.Architecture.Tests;

/// <summary>
/// The project graph of <c>src/</c>: Hashing ← Matching ← Core ← Application ← Server ← Cli, the stores on Core only,
/// no layer reaching up. Read from the project files themselves, so a new reference that breaks the rule fails here.
/// </summary>
public sealed class LayeringTests
{
    /// <summary>What each project of src/ may reference (direct project references), by project name.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Needle.Hashing"] = [],
        ["Needle.Metadata"] = [],
        ["Needle.Geo"] = [],
        ["Needle.Matching"] = ["Needle.Hashing"],
        ["Needle.Video"] = ["Needle.Hashing", "Needle.Matching"],
        // The robust tier keeps its heavy native dependencies (ONNX Runtime, OpenCV) out of the core.
        ["Needle.Robust"] = ["Needle.Hashing", "Needle.Matching"],
        ["Needle.Core"] = ["Needle.Matching"],
        ["Needle.Application"] = ["Needle.Core", "Needle.Hashing", "Needle.Matching", "Needle.Metadata", "Needle.Geo", "Needle.Video", "Needle.Robust"],
        ["Needle.Storage.Relational"] = ["Needle.Core"],
        ["Needle.Storage.Sqlite"] = ["Needle.Core", "Needle.Storage.Relational"],
        ["Needle.Storage.Postgres"] = ["Needle.Core", "Needle.Storage.Relational"],
        ["Needle.Server"] = ["Needle.Application", "Needle.Core"],
        ["Needle.Cli"] =
        [
            "Needle.Hashing", "Needle.Matching", "Needle.Metadata", "Needle.Geo", "Needle.Video", "Needle.Core",
            "Needle.Application", "Needle.Server", "Needle.Storage.Sqlite", "Needle.Storage.Postgres", "Needle.Robust",
        ],
    };

    public static TheoryData<string> SourceProjects() =>
        [.. Directory.GetDirectories(Path.Combine(TestPaths.RepositoryRoot, "src"))
            .Select(dir => new DirectoryInfo(dir).Name)
            .Where(name => File.Exists(Path.Combine(TestPaths.RepositoryRoot, "src", name, name + ".csproj")))
            .Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(SourceProjects))]
    public void A_project_references_only_the_layers_below_it(string project)
    {
        Assert.True(Allowed.TryGetValue(project, out var allowed), $"src/{project} is not in the layer table: add it with what it may reference.");
        var references = ProjectReferences(project);
        var forbidden = references.Except(allowed, StringComparer.Ordinal).ToList();
        Assert.True(forbidden.Count == 0, $"src/{project} references {string.Join(", ", forbidden)}, which its layer may not.");
    }

    [Fact]
    public void The_server_references_no_store_backend_even_through_its_references()
    {
        var reachable = Reachable("Needle.Server");
        Assert.DoesNotContain("Needle.Storage.Sqlite", reachable);
        Assert.DoesNotContain("Needle.Storage.Postgres", reachable);
        Assert.DoesNotContain("Needle.Storage.Relational", reachable);
    }

    [Fact]
    public void The_stores_reach_only_core_and_what_core_reaches()
    {
        var core = Reachable("Needle.Core");
        foreach (var store in new[] { "Needle.Storage.Sqlite", "Needle.Storage.Postgres" })
        {
            var extra = Reachable(store).Except(core).Except(["Needle.Core", "Needle.Storage.Relational"]).ToList();
            Assert.True(extra.Count == 0, $"{store} reaches {string.Join(", ", extra)} beyond Core.");
        }
    }

    [Fact]
    public void The_layer_table_reads_the_real_project_files()
    {
        // Guards the test itself: Application's real references are found, so an empty parse cannot pass silently.
        Assert.Contains("Needle.Core", ProjectReferences("Needle.Application"));
        Assert.Contains("Needle.Matching", ProjectReferences("Needle.Core"));
    }

    private static HashSet<string> Reachable(string project)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>(ProjectReferences(project));
        while (pending.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var reference in ProjectReferences(next))
                {
                    pending.Push(reference);
                }
            }
        }

        return seen;
    }

    private static List<string> ProjectReferences(string project)
    {
        var path = Path.Combine(TestPaths.RepositoryRoot, "src", project, project + ".csproj");
        return [.. XDocument.Load(path).Descendants("ProjectReference")
            .Select(reference => Path.GetFileNameWithoutExtension(reference.Attribute("Include")!.Value.Replace('\\', '/')))];
    }
}
