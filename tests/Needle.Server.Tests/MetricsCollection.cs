namespace Needle.Server.Tests;

/// <summary>
/// Tests that read the process's <c>Needle</c> meter run alone: every server in the test process reports through a
/// meter of that name, so a server of a test running beside them would move the counters they assert.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MetricsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "metrics";
}
