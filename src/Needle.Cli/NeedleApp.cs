using System.CommandLine;
using Needle.Cli.Commands;

namespace Needle.Cli;

/// <summary>Builds the <c>needle</c> command tree and runs it.</summary>
internal static class NeedleApp
{
    public static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("Needle: perceptual hashing, hash-list matching and report triage for child-protection hotlines and trust-and-safety teams.");
        // Each command lives in Commands/XxxCommand.cs as a static Create(CliContext).
        root.Subcommands.Add(HashCommand.Create(context));
        root.Subcommands.Add(ScanCommand.Create(context));
        root.Subcommands.Add(ListCommand.Create(context));
        root.Subcommands.Add(ServeCommand.Create(context));
        root.Subcommands.Add(WorkerCommand.Create(context));
        root.Subcommands.Add(KeysCommand.Create(context));
        root.Subcommands.Add(AuditCommand.Create(context));
        root.Subcommands.Add(GeoCommand.Create(context));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(context);
        var configuration = new InvocationConfiguration { Output = context.Out, Error = context.Error };
        return await root.Parse(args).InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
    }
}
