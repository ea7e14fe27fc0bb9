namespace Needle.LoadTest.Lists;

/// <summary>The compiled-list (.ndl) figures of a <c>lists</c> run.</summary>
/// <param name="Bytes">Size of the compiled file.</param>
/// <param name="CompileSeconds">Reading the native list and writing the .ndl.</param>
/// <param name="OpenSeconds">Opening it (memory-mapped) and building a matcher on it, as scan does.</param>
/// <param name="FirstMatchSeconds">The first match, which verifies the checksums of the PDQ and MD5 columns.</param>
/// <param name="RssBytesPerEntry">Resident memory added per entry after the open and the checked matches (mapped pages included).</param>
/// <param name="Checked">Matches compared with brute force.</param>
/// <param name="CheckedIdentical">Of those, the ones with the same distances.</param>
internal sealed record CompiledRunResult(long Bytes, double CompileSeconds, double OpenSeconds, double FirstMatchSeconds, double RssBytesPerEntry, int Checked, int CheckedIdentical);
