namespace Needle.LoadTest.Match;

/// <summary>Timings of saving and loading the benchmark index (the read follows the write, so the file is likely cached).</summary>
internal sealed record PersistenceResult(long FileBytes, TimeSpan Write, TimeSpan Read, TimeSpan Build)
{
    /// <summary>Read plus table build: the time from file to a searchable index.</summary>
    public TimeSpan Load => Read + Build;
}
