namespace Needle.LoadTest.Lists;

/// <summary>One <c>needle</c> command of a CLI lists run, as /usr/bin/time measured it.</summary>
/// <param name="Needle">"this" (the needle of this tree) or "baseline".</param>
/// <param name="Step">"scan csv", "compile" or "scan ndl".</param>
/// <param name="WallSeconds">Elapsed wall-clock time.</param>
/// <param name="CpuSeconds">User + system CPU time.</param>
/// <param name="PeakRssBytes">Peak resident set size (mapped file pages included).</param>
/// <param name="PeakAnonymousBytes">Peak resident anonymous memory (RssAnon, sampled every 10 ms): what the process holds, without the mapped file pages the kernel can drop.</param>
internal sealed record CliRun(string Needle, string Step, double WallSeconds, double CpuSeconds, long PeakRssBytes, long PeakAnonymousBytes);
