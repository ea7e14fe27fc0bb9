namespace Needle.Core.Lists;

/// <summary>A list import job as recorded: who started it, where it is and what it counted.</summary>
/// <param name="Id">The job's id.</param>
/// <param name="ListName">The list imported into.</param>
/// <param name="State">Running, succeeded or failed.</param>
/// <param name="Actor">Who started it.</param>
/// <param name="Node">The process running it (host and process id), so a restarted node can tell its own dead jobs.</param>
/// <param name="StartedAt">When it started.</param>
public sealed record ListImportRecord(Guid Id, string ListName, ListImportState State, string Actor, string Node, DateTimeOffset StartedAt)
{
    /// <summary>The list format read (csv, needle, ...); null until known.</summary>
    public string? Format { get; init; }

    /// <summary>Records read so far (valid or not).</summary>
    public int RecordsRead { get; init; }

    /// <summary>Entries imported (counted as written; visible only once <see cref="State"/> is <see cref="ListImportState.Succeeded"/>).</summary>
    public int Imported { get; init; }

    /// <summary>Invalid records so far.</summary>
    public int Invalid { get; init; }

    /// <summary>The first errors ("record N, field F: ..."), and why a failed import failed.</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];

    /// <summary>Values skipped because they can never match (all-zero PDQ hashes); in the record a run returns, not stored.</summary>
    public int Skipped { get; init; }

    /// <summary>Why each was skipped ("record N, field F: ..."); in the record a run returns, not stored.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>When it ended; null while running.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
}
