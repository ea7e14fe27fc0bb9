namespace Needle.LoadTest.Workers;

/// <summary>What the <c>workers</c> harness runs.</summary>
internal sealed record WorkersBenchmarkOptions
{
    /// <summary>A PostgreSQL role that may create databases: each run gets a fresh database, dropped afterwards.</summary>
    public required string AdminConnectionString { get; init; }

    public IReadOnlyList<int> Processes { get; init; } = [1, 2, 4];

    public int ConcurrencyPerProcess { get; init; } = 1;

    public int Reports { get; init; } = 200;

    public int FilesPerReport { get; init; } = 2;

    public int ListEntries { get; init; } = 10_000;

    /// <summary>List entries added one by one, each timed until every worker applied it.</summary>
    public int Changes { get; init; } = 20;

    public TimeSpan ListPoll { get; init; } = TimeSpan.FromSeconds(2);

    public int Seed { get; init; } = 1;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(20);
}
