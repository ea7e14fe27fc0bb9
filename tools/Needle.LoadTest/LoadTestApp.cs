using System.CommandLine;
using Needle.LoadTest.Lists;
using Needle.LoadTest.Flood;
using Needle.LoadTest.Links;
using Needle.LoadTest.Match;
using Needle.LoadTest.Robust;
using Needle.LoadTest.Serve;
using Needle.LoadTest.Video;
using Needle.LoadTest.Workers;

namespace Needle.LoadTest;

/// <summary>
/// Builds the load tool's command tree (one subcommand per harness) and runs it. These measurements belong on the
/// operator's own machine, not in unit tests, and not in the shipped <c>needle</c>: one of them creates and drops
/// PostgreSQL databases.
/// </summary>
internal static class LoadTestApp
{
    public static RootCommand BuildRoot(LoadTestContext context)
    {
        var root = new RootCommand("Needle load tools: measure Needle on this machine (not part of the shipped needle).");
        root.Subcommands.Add(MatchCommand.Create(context));
        root.Subcommands.Add(ServeCommand.Create(context));
        root.Subcommands.Add(WorkersCommand.Create(context));
        root.Subcommands.Add(VideoCommand.Create(context));
        root.Subcommands.Add(ListsCommand.Create(context));
        root.Subcommands.Add(ListSnapshotCommand.Create(context));
        root.Subcommands.Add(ListImport.ListImportCommand.Create(context));
        root.Subcommands.Add(FloodCommand.Create(context));
        root.Subcommands.Add(LinksCommand.Create(context));
        root.Subcommands.Add(RobustEvalCommand.Create(context));
        root.Subcommands.Add(MediaIndex.MediaIndexCommand.Create(context));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, LoadTestContext context, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(context);
        var configuration = new InvocationConfiguration { Output = context.Out, Error = context.Error };
        return await root.Parse(args).InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
