using System.CommandLine;

namespace Needle.LoadTest.Lists;

/// <summary><c>list-snapshot</c>: how fast a list's snapshot file is captured, written and read, without a server around it.</summary>
internal static class ListSnapshotCommand
{
    public static Command Create(LoadTestContext context)
    {
        var entries = new Option<int>("--entries") { Description = "Entries in the list (half PDQ, half MD5, each with a label and a category, as the lean 100M run).", HelpName = "N", DefaultValueFactory = _ => 1_000_000 };
        var runs = new Option<int>("--runs") { Description = "Times the snapshot is written and read.", HelpName = "R", DefaultValueFactory = _ => 3 };
        var command = new Command("list-snapshot",
            "Build a list of N entries with its details in a detail file (as a server node holds it), then time the snapshot's capture (the list's lock held), its write (wall, CPU seconds, MB/s, fsync included), its read, and the write of the list read back (its details then come from the snapshot file).")
        {
            entries, runs,
        };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(entries);
            var r = parse.GetValue(runs);
            if (n < 1 || r < 1)
            {
                context.Error.WriteLine("error: --entries and --runs must be positive");
                return ExitCodes.Usage;
            }

            try
            {
                ListSnapshotBenchmark.Run(n, r, context.Out);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or InvalidDataException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
