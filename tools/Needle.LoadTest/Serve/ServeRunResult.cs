namespace Needle.LoadTest.Serve;

/// <summary>One run: the server with a number of workers, the same reports.</summary>
internal sealed record ServeRunResult(
    int Workers,
    int Reports,
    int Files,
    TimeSpan AcceptWall,
    TimeSpan ProcessWall,
    IReadOnlyList<double> AckMs,
    IReadOnlyList<double> DoneMs,
    int FilesNotHashed)
{
    public double ReportsAcceptedPerSecond => Reports / AcceptWall.TotalSeconds;

    public double FilesAcceptedPerSecond => Files / AcceptWall.TotalSeconds;

    public double FilesProcessedPerSecond => Files / ProcessWall.TotalSeconds;
}
