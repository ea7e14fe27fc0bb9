namespace Needle.LoadTest.Lists;

/// <summary>Settings of the <c>lists</c> harness.</summary>
internal sealed record ListsBenchmarkOptions
{
    /// <summary>Entries in the list: PDQ and MD5 alternating (one PDQ and one MD5 per item).</summary>
    public int Entries { get; init; } = 100_000;

    /// <summary>HTTP lookups made against the server.</summary>
    public int Lookups { get; init; } = 20_000;

    /// <summary>How long untimed lookups (of other queries) are sent first, so the rate is a warm server's, not the JIT's.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Concurrent HTTP clients.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Lookups whose answer is checked against a brute-force scan.</summary>
    public int Checked { get; init; } = 200;

    public int Seed { get; init; } = 1;

    /// <summary>Only the server part (import, cold start, lookups): no scan load or compile, to iterate on lookups faster.</summary>
    public bool ServerOnly { get; init; }

    /// <summary>With <see cref="ServerOnly"/>: the list is generated straight into the import's request body, never written to disk.</summary>
    public bool StreamUpload { get; init; }

    /// <summary>With <see cref="StreamUpload"/>: entries carry only a label and a category (as industry hash lists ship them), no source or metadata.</summary>
    public bool Lean { get; init; }

    /// <summary>The import's body is sent gzip-compressed (Content-Encoding: gzip).</summary>
    public bool Gzip { get; init; }

    /// <summary>
    /// The server keeps list snapshots (<c>--list-snapshots</c>): the importing server writes one as it stops, and the
    /// cold start reads it (then the change log after it) instead of every entry from the database.
    /// </summary>
    public bool Snapshots { get; init; }

    /// <summary>
    /// With <see cref="ServerOnly"/>: the server's database and snapshots live in this folder and are kept; a later run
    /// with the same list settings skips the import and goes straight to the restart and the lookups (to iterate on
    /// lookups at 100M without re-importing). Null: a temporary folder, deleted at the end.
    /// </summary>
    public string? KeepFolder { get; init; }

    /// <summary>A PostgreSQL connection string whose role may create databases: the import is timed there too. Null: SQLite only.</summary>
    public string? PostgresConnection { get; init; }
}
