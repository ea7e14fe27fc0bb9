using System.CommandLine;
using System.Globalization;
using Needle.Core.Audit;

namespace Needle.Cli.Commands;

/// <summary><c>needle audit verify</c>: walk the audit log's hash chain.</summary>
internal static class AuditCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("audit", "Check the audit log of a Needle database.");
        var db = ServeCommand.DatabaseOption();
        var verify = new Command("verify", "Verify the audit hash chain; exit 1 and name the first broken entry when it was tampered with.") { db };
        verify.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = await KeysCommand.OpenAsync(parse.GetValue(db)!, context, cancellationToken).ConfigureAwait(false);
            var result = await AuditChain.VerifyAsync(store.Audit, cancellationToken).ConfigureAwait(false);
            if (result.IsIntact)
            {
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"audit log intact: {result.EntriesChecked} entries, last hash {result.LastHash}"));
                return ExitCodes.Success;
            }

            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"audit log BROKEN at sequence {result.BrokenAtSequence}: {result.Problem} ({result.EntriesChecked} entries verified before it)"));
            return ExitCodes.SomeFilesFailed;
        });
        command.Subcommands.Add(verify);
        return command;
    }
}
