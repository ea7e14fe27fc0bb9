using Needle.Matching.Index;

namespace Needle.Cli.Infrastructure;

/// <summary>The PDQ index the CLI builds its matchers on.</summary>
internal static class PdqIndexes
{
    public static IPdqIndex Create() => new MultiIndexHammingIndex();
}
