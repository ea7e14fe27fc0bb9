using Needle.LoadTest;

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

return await LoadTestApp.RunAsync(args, LoadTestContext.FromConsole(), cancellation.Token).ConfigureAwait(false);
