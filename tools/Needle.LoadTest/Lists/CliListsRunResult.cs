namespace Needle.LoadTest.Lists;

/// <summary>The figures of a <c>lists --cli-only</c> run.</summary>
/// <param name="Entries">Entries of the list (CSV: one PDQ line each; native: PDQ and MD5 alternating).</param>
/// <param name="CsvBytes">Size of the text list (CSV or native).</param>
/// <param name="NdlBytes">Size of the compiled list.</param>
/// <param name="Runs">The needle commands run, with their times and peak memory.</param>
/// <param name="OpenSeconds">Opening the .ndl in this process (memory-mapped) and building a matcher on it.</param>
/// <param name="LookupSeconds">The checked lookups, the first of which verifies the PDQ columns' checksums.</param>
/// <param name="Checked">Listed hashes looked up.</param>
/// <param name="Found">Of those, the ones found at distance 0 with their label.</param>
internal sealed record CliListsRunResult(int Entries, long CsvBytes, long NdlBytes, IReadOnlyList<CliRun> Runs, double OpenSeconds, double LookupSeconds, int Checked, int Found);
