using Needle.Cli;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await NeedleApp.RunAsync(args, CliContext.FromConsole(), cancellation.Token).ConfigureAwait(false);
