using System.Diagnostics;
using System.Globalization;
using System.Text;
using Needle.Hashing;
using Needle.LoadTest.Common;
using Needle.LoadTest.Workers;
using Needle.Matching.Compiled;
using Needle.Matching.Index;
using Needle.Matching.Lists;

namespace Needle.LoadTest.Lists;

/// <summary>
/// The CLI side of lists at size, without a server: writes an N-line <c>hash,quality,path</c> CSV (streamed, nothing
/// held; or, native, the server harness's list of PDQ and MD5 entries with labels and metadata), then runs the real <c>needle</c> as a child process under <c>/usr/bin/time</c> (wall, CPU, peak resident
/// set): <c>scan --against list.csv</c> of one picture, <c>list compile list.csv -o list.ndl</c>, <c>scan --against
/// list.ndl</c>; and in this process opens the .ndl and times the first match, checking K listed hashes are found
/// with their labels. With a baseline <c>needle</c> the same commands run with it too, in the same run.
/// </summary>
internal static class CliListsBenchmark
{
    public static CliListsRunResult Run(int entries, int seed, int checkedCount, string folder, string? baselineNeedle, bool native, Action<string> progress)
    {
        Directory.CreateDirectory(folder);
        var ndl = Path.Combine(folder, "list.ndl");
        var picture = Path.Combine(folder, "one.jpg");
        File.WriteAllBytes(picture, GeneratedJpegs.GenerateOne(seed, 0));
        var clock = Stopwatch.StartNew();
        string list;
        List<(PdqHash Hash, string Label)> samples;
        if (native)
        {
            // The server harness's list: PDQ and MD5 alternating, label, category, source and two metadata fields.
            var generated = GeneratedList.Write(folder, entries, seed);
            File.Delete(generated.CsvPath);
            list = generated.NativePath;
            samples = [];
            var every = Math.Max(1, generated.Pdq.Length / Math.Max(1, checkedCount));
            for (var i = 0; i < generated.Pdq.Length && samples.Count < checkedCount; i += every)
            {
                samples.Add((generated.Pdq[i], "NCMEC-" + i.ToString("D9", CultureInfo.InvariantCulture)));
            }
        }
        else
        {
            list = Path.Combine(folder, "list.csv");
            samples = WriteCsv(list, entries, seed, Math.Max(1, checkedCount));
        }

        var kind = native ? "native" : "csv";
        progress(FormattableString.Invariant($"generated {entries:N0} entries in {clock.Elapsed.TotalSeconds:F1} s ({new FileInfo(list).Length / 1e6:F0} MB {kind} list)"));

        var runs = new List<CliRun>();
        foreach (var (name, needle) in Needles(baselineNeedle))
        {
            runs.Add(Time(name, needle, folder, "scan " + kind, ["scan", "--against", list, picture, "--no-clues"], progress));
            runs.Add(Time(name, needle, folder, "compile", ["list", "compile", list, "-o", ndl], progress));
            runs.Add(Time(name, needle, folder, "scan ndl", ["scan", "--against", ndl, picture, "--no-clues"], progress));
        }

        var ndlBytes = new FileInfo(ndl).Length;
        clock.Restart();
        using var file = CompiledListFile.Open(ndl);
        using var matcher = new ListMatcher([], [file], static () => new MultiIndexHammingIndex());
        var openSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var found = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            var (hash, label) = samples[i];
            var matches = matcher.Match(new FileSignals { Pdq = hash }).Matches;
            found += matches.Any(m => m.Distance == 0 && m.Entry.Label == label) ? 1 : 0;
            if (i == 0)
            {
                progress(FormattableString.Invariant($"in process: .ndl opened in {openSeconds:F3} s, first match (columns verified) in {clock.Elapsed.TotalSeconds:F2} s"));
            }
        }

        var firstMatchSeconds = clock.Elapsed.TotalSeconds;
        return new CliListsRunResult(entries, new FileInfo(list).Length, ndlBytes, runs, openSeconds, firstMatchSeconds, samples.Count, found);
    }

    private static IEnumerable<(string Name, ProcessStartInfo Needle)> Needles(string? baselineNeedle)
    {
        yield return ("this", NeedleExecutable.StartInfo());
        if (baselineNeedle is not null)
        {
            var start = new ProcessStartInfo(baselineNeedle.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? "dotnet" : baselineNeedle);
            if (baselineNeedle.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            {
                start.ArgumentList.Add(baselineNeedle);
            }

            yield return ("baseline", start);
        }
    }

    /// <summary>Runs needle under /usr/bin/time; exit code 0 or 1 (a scan that matched nothing or something) is success.</summary>
    private static CliRun Time(string needleName, ProcessStartInfo needle, string folder, string step, string[] arguments, Action<string> progress)
    {
        var timeFile = Path.Combine(folder, "time.txt");
        var start = new ProcessStartInfo("/usr/bin/time") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-f", "%e %U %S %M", "-o", timeFile, needle.FileName, .. needle.ArgumentList, .. arguments])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /usr/bin/time");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var peakAnon = 0L;
        while (!process.WaitForExit(10))
        {
            peakAnon = Math.Max(peakAnon, AnonymousRss(process.Id));
        }

        var output = stdout.Result + stderr.Result;
        if (process.ExitCode is not (0 or 1))
        {
            throw new InvalidOperationException($"{needleName} needle {string.Join(' ', arguments)} exited with {process.ExitCode}: {output}");
        }

        var fields = File.ReadAllLines(timeFile)[^1].Split(' ');
        var run = new CliRun(needleName, step,
            double.Parse(fields[0], CultureInfo.InvariantCulture),
            double.Parse(fields[1], CultureInfo.InvariantCulture) + double.Parse(fields[2], CultureInfo.InvariantCulture),
            long.Parse(fields[3], CultureInfo.InvariantCulture) * 1024,
            peakAnon);
        progress(FormattableString.Invariant($"{needleName,-8} {step,-11} wall {run.WallSeconds,7:F2} s  cpu {run.CpuSeconds,7:F2} s  peak RSS {run.PeakRssBytes / 1e6,8:F0} MB  peak anonymous {run.PeakAnonymousBytes / 1e6,8:F0} MB"));
        return run;
    }

    /// <summary>
    /// The resident anonymous memory (heap, not mapped file pages, which the kernel can drop and read again) of the
    /// needle that /usr/bin/time <paramref name="timePid"/> runs; 0 when it cannot be read (not Linux, not started yet).
    /// </summary>
    private static long AnonymousRss(int timePid)
    {
        try
        {
            var children = File.ReadAllText($"/proc/{timePid}/task/{timePid}/children").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (children.Length == 0)
            {
                return 0;
            }

            foreach (var line in File.ReadLines($"/proc/{children[0]}/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                {
                    return long.Parse(line["RssAnon:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // The process ended between two reads.
        }

        return 0;
    }

    /// <summary>
    /// N lines <c>hash,100,NCMEC-i</c> of random PDQ hashes, written as they are made; returns K of them (evenly
    /// spread) with their labels, to look up afterwards.
    /// </summary>
    private static List<(PdqHash Hash, string Label)> WriteCsv(string path, int entries, int seed, int samples)
    {
        var rng = new Random(seed);
        var every = Math.Max(1, entries / samples);
        var kept = new List<(PdqHash, string)>();
        Span<byte> bytes = stackalloc byte[32];
        using var csv = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        csv.Write("hash,quality,path\n");
        for (var i = 0; i < entries; i++)
        {
            PdqHash hash;
            do
            {
                rng.NextBytes(bytes);
                hash = PdqHash.ReadBigEndian(bytes);
            }
            while (hash == PdqHash.Zero);

            csv.Write(hash.ToString());
            csv.Write(",100,NCMEC-");
            csv.Write(i.ToString("D9", CultureInfo.InvariantCulture));
            csv.Write('\n');
            if (i % every == 0 && kept.Count < samples)
            {
                kept.Add((hash, "NCMEC-" + i.ToString("D9", CultureInfo.InvariantCulture)));
            }
        }

        return kept;
    }
}
