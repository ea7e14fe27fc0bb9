using System.CommandLine;

namespace Needle.LoadTest.MediaIndex;

/// <summary><c>media-index</c>: the near-duplicate media index's start from the database and from its snapshot, and the video frame index's memory.</summary>
internal static class MediaIndexCommand
{
    public static Command Create(LoadTestContext context)
    {
        var files = new Option<int>("--files") { Description = "Processed files (random PDQs, quality 100) written into a temporary SQLite database.", HelpName = "N", DefaultValueFactory = _ => 1_000_000 };
        var videos = new Option<int>("--videos") { Description = "vPDQ list entries for the video frame index (0: skip it).", HelpName = "V", DefaultValueFactory = _ => 1_000 };
        var frames = new Option<int>("--frames") { Description = "Frames per video (random PDQs, one a second).", HelpName = "F", DefaultValueFactory = _ => 600 };
        var command = new Command("media-index",
            "Write N processed files into a temporary SQLite database, then time the near-duplicate index's first catch-up from the database and from its snapshot (wall, CPU, managed bytes per held file; the same searches must find the same files); then build the video frame index over V vPDQ entries of F frames and print its managed bytes per frame.")
        {
            files, videos, frames,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(files);
            var v = parse.GetValue(videos);
            var f = parse.GetValue(frames);
            if (n < 1 || v < 0 || f < 1)
            {
                context.Error.WriteLine("error: --files and --frames must be positive, --videos at least 0");
                return ExitCodes.Usage;
            }

            try
            {
                await MediaIndexBenchmark.RunAsync(n, v, f, context.Out, line => context.Error.WriteLine(line), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or Microsoft.Data.Sqlite.SqliteException)
            {
                context.Error.WriteLine("error: " + ex.Message);
                return ExitCodes.RunFailed;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
