namespace Needle.LoadTest.Workers;

/// <summary>One run's figures.</summary>
internal sealed record WorkersRunResult(int Processes, int Files, TimeSpan Processing, IReadOnlyList<double> VisibleMs)
{
    public double FilesPerSecond => Files / Processing.TotalSeconds;
}
