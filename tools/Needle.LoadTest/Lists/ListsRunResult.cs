namespace Needle.LoadTest.Lists;

/// <summary>The figures of one <c>lists</c> run.</summary>
internal sealed record ListsRunResult
{
    public required int Entries { get; init; }

    public required double ScanNativeSeconds { get; init; }

    public required double ScanCsvSeconds { get; init; }

    public required int CsvEntries { get; init; }

    public required double ScanManagedBytesPerEntry { get; init; }

    public required double ScanRssBytesPerEntry { get; init; }

    public required double ImportEntriesPerSecond { get; init; }

    public required double ColdStartSeconds { get; init; }

    /// <summary>VmRSS of the restarted <c>needle serve</c> process over an empty one's, per entry.</summary>
    public required double ServerRssBytesPerEntry { get; init; }

    /// <summary>VmHWM of the restarted server process after the lookups.</summary>
    public long ServerPeakRssBytes { get; init; }

    public required double LookupsPerSecond { get; init; }

    public required double LookupP50Ms { get; init; }

    public required double LookupP99Ms { get; init; }

    /// <summary>CPU time (user + system) of the server process per lookup, in microseconds.</summary>
    public double LookupServerCpuMicroseconds { get; init; }

    /// <summary>CPU time (user + system) of the harness (the 16 clients) per lookup, in microseconds.</summary>
    public double LookupClientCpuMicroseconds { get; init; }

    public required int Checked { get; init; }

    public required int CheckedIdentical { get; init; }

    /// <summary>Import into a server on PostgreSQL (entries/s); null without --postgres.</summary>
    public double? PostgresImportEntriesPerSecond { get; init; }

    /// <summary>The compiled-list (.ndl) figures; null until the scan part has run.</summary>
    public CompiledRunResult? Compiled { get; init; }
}
