using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Needle.Hashing;
using Needle.Matching.Expansion;
using Needle.Matching.Index;
using Needle.Matching.Lists;
using Needle.Robust;
using Needle.Testing.Images;

namespace Needle.LoadTest.Robust;

/// <summary>
/// <c>robust-eval</c>: recall and false matches per edit (issue 15's transforms) over a folder of photos, half listed and
/// half not, against a PDQ-only list (hash + query edits) and against a Needle list with robust entries (hash + query
/// edits + robust tier), the way <c>needle scan</c> runs them; then the robust tier's costs per picture.
/// </summary>
internal static class RobustEvalCommand
{
    public static Command Create(LoadTestContext context)
    {
        var photos = new Option<DirectoryInfo>("--photos")
        {
            Description = "Folder of photos (PNG or JPEG); every other one, by name, is listed. Default: testdata/pdq/photos.",
            DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(RepositoryRoot(), "testdata", "pdq", "photos")),
        };
        var pattern = new Option<string>("--pattern")
        {
            Description = "Which files of the folder (default p*.png: testdata's photos, not its edge cases, which are copies of them).",
            DefaultValueFactory = _ => "p*.png",
        };
        var minSide = new Option<int>("--min-side") { Description = "Photos with a side below this are left out.", DefaultValueFactory = _ => 96 };
        var keypoints = new Option<int>("--keypoints") { Description = "ORB keypoints per picture (entries and queries).", DefaultValueFactory = _ => new RobustMatcherOptions().MaxKeypoints };
        var heldKeypoints = new Option<int>("--held-keypoints") { Description = "Keypoints the matcher holds per listed picture.", DefaultValueFactory = _ => new RobustMatcherOptions().HeldKeypoints };
        var minSimilarity = new Option<double>("--min-similarity") { Description = "Shortlisted pictures less similar than this are not checked.", DefaultValueFactory = _ => new RobustMatcherOptions().MinSimilarity };
        var rotations = new Option<bool>("--rotations")
        {
            Description = "Instead: small rotations (1-10 degrees both ways, as is and mirrored), per angle the rotation sweep alone, the robust tier alone and both (robust, then the sweep).",
        };
        var sweepOnly = new Option<bool>("--sweep-only") { Description = "With --rotations: leave the robust tier out (its columns read as if it found nothing)." };
        var command = new Command("robust-eval", "Recall and false matches per edit for the PDQ query edits and the robust tier, and the robust tier's costs.")
        {
            photos, pattern, minSide, keypoints, heldKeypoints, minSimilarity, rotations, sweepOnly,
        };
        command.SetAction(parse =>
        {
            var options = new RobustMatcherOptions { MaxKeypoints = parse.GetValue(keypoints), HeldKeypoints = parse.GetValue(heldKeypoints), MinSimilarity = parse.GetValue(minSimilarity) };
            Run(context, parse.GetValue(photos)!.FullName, parse.GetValue(pattern)!, parse.GetValue(minSide), options, parse.GetValue(rotations), parse.GetValue(sweepOnly));
            return 0;
        });
        return command;
    }

    private static void Run(LoadTestContext context, string folder, string pattern, int minSide, RobustMatcherOptions options, bool rotations, bool withoutRobust)
    {
        var decoder = new ImageDecoder();
        var all = Directory.GetFiles(folder, pattern).Order(StringComparer.Ordinal).Where(f =>
            {
                try
                {
                    using var image = decoder.Decode(f);
                    return image.SourceWidth >= minSide && image.SourceHeight >= minSide;
                }
                catch (ImageDecodeException)
                {
                    return false;
                }
            }).ToArray();
        var listed = all.Where((_, i) => i % 2 == 0).ToArray();
        var unlisted = all.Where((_, i) => i % 2 == 1).ToArray();
        using var model = new ImageDescriptorModel(new RobustModelOptions());
        var extractor = new RobustFeatureExtractor(model, options);
        var hasher = new MediaFileHasher(new MediaHashOptions { Dihedral = true }, decoder);
        var pdqList = new HashList("pdq-only");
        var fullList = new HashList("needle");
        long valueChars = 0;
        var probe = new DescriptorIndex(model.Dimension);
        var trueSimilarities = new List<double>();
        var unlistedSimilarities = new List<double>();
        var lowestByEdit = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var currentEdit = "";
        var best = new int[1];
        var bestSimilarity = new float[1];
        var extract = new Stopwatch();
        foreach (var path in listed)
        {
            var label = Path.GetFileName(path);
            var pdq = hasher.Hash(path).Pdq!.Value.Hash.ToString();
            pdqList.Add(new HashListEntry(SignalTypes.Pdq, pdq) { Label = label });
            fullList.Add(new HashListEntry(SignalTypes.Pdq, pdq) { Label = label });
            using var image = decoder.DecodeForDisplay(File.ReadAllBytes(path), 512);
            extract.Start();
            var features = extractor.Extract(image)!;
            extract.Stop();
            probe.Add(features.Descriptor);
            var value = features.Encode();
            valueChars += value.Length;
            fullList.Add(new HashListEntry(SignalTypes.Robust, value) { Label = label });
        }

        using var pdqMatcher = new ListMatcher([pdqList], () => new BruteForcePdqIndex());
        using var fullMatcher = new ListMatcher([fullList], () => new BruteForcePdqIndex());
        var pdqExpander = new PdqQueryExpander(pdqMatcher);
        // As needle scan runs a list whose every picture has a robust entry: the rotation sweep after the robust tier.
        var fullExpander = new PdqQueryExpander(fullMatcher, new PdqQueryExpansionOptions { MaxRotationDegrees = 0 });
        var fullSweep = new PdqQueryExpander(fullMatcher, new PdqQueryExpansionOptions { Mirror = false, Unletterbox = false });
        var robust = new RobustMatcher([fullList], extractor);
        if (rotations)
        {
            PdqQueryExpander[] smallSweeps =
            [
                new PdqQueryExpander(fullMatcher, new PdqQueryExpansionOptions { Mirror = false, Unletterbox = false, RotationWorkingSize = 128 }),
                new PdqQueryExpander(fullMatcher, new PdqQueryExpansionOptions { Mirror = false, Unletterbox = false, RotationWorkingSize = 256 }),
            ];
            RotationTable(context, listed, unlisted, hasher, decoder, fullMatcher, fullExpander, fullSweep, smallSweeps, withoutRobust ? null : robust, model, probe);
            return;
        }

        var expandTime = new Stopwatch();
        var robustTime = new Stopwatch();
        var hashTime = new Stopwatch();
        var hashRuns = 0;
        var robustRuns = 0;
        var expandRuns = 0;

        (string? Label, string Tier) Scan(byte[] file, ListMatcher matcher, PdqQueryExpander expander, RobustMatcher? tier, PdqQueryExpander? sweep = null)
        {
            hashTime.Start();
            var hashed = hasher.HashBytes(file, "copy");
            hashTime.Stop();
            hashRuns++;
            var result = matcher.Match(new FileSignals { PdqDihedral = hashed.Dihedral!.Hashes.ToArray(), PdqQuality = hashed.Pdq!.Value.Quality });
            if (result.Status == MatchStatus.Match)
            {
                return (result.Matches[0].Entry.Label, "pdq");
            }

            using var image = decoder.DecodeForDisplay(file, 512);
            expandTime.Start();
            result = expander.Match(image);
            expandTime.Stop();
            expandRuns++;
            if (result.Status == MatchStatus.Match)
            {
                return (result.Matches[0].Entry.Label, result.Matches[0].TransformName.StartsWith("rotate", StringComparison.Ordinal) ? "rotate" : result.Matches[0].TransformName);
            }

            if (tier is null)
            {
                return (null, "");
            }

            robustTime.Start();
            result = tier.Match(image);
            robustTime.Stop();
            robustRuns++;
            if (result.Status == MatchStatus.Match && result.Matches[0].Robust is { } details)
            {
                trueSimilarities.Add(details.Similarity);
                lowestByEdit[currentEdit] = Math.Min(lowestByEdit.GetValueOrDefault(currentEdit, 1), details.Similarity);
            }

            if (result.Status == MatchStatus.Match)
            {
                return (result.Matches[0].Entry.Label, "robust");
            }

            if (sweep is null)
            {
                return (null, "");
            }

            expandTime.Start();
            result = sweep.Match(image);
            expandTime.Stop();
            return result.Status == MatchStatus.Match ? (result.Matches[0].Entry.Label, "rotate") : (null, "");
        }

        var output = context.Out;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{listed.Length} listed photos, {unlisted.Length} not listed (side >= {minSide} px) from {folder}"));
        output.WriteLine();
        output.WriteLine("| edit | PDQ-only list: found | false / wrong | Needle list: found | false / wrong | found by (Needle list) |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var edit in CopyEdits.All)
        {
            currentEdit = edit;
            int pdqFound = 0, pdqWrong = 0, fullFound = 0, fullWrong = 0;
            var tiers = new SortedDictionary<string, int>(StringComparer.Ordinal);
            foreach (var path in listed)
            {
                var copy = CopyEdits.Apply(edit, File.ReadAllBytes(path));
                var label = Path.GetFileName(path);
                var (pdqLabel, _) = Scan(copy, pdqMatcher, pdqExpander, null);
                pdqFound += pdqLabel == label ? 1 : 0;
                pdqWrong += pdqLabel is not null && pdqLabel != label ? 1 : 0;
                var (fullLabel, tier) = Scan(copy, fullMatcher, fullExpander, robust, fullSweep);
                fullFound += fullLabel == label ? 1 : 0;
                fullWrong += fullLabel is not null && fullLabel != label ? 1 : 0;
                if (fullLabel == label)
                {
                    tiers[tier] = tiers.GetValueOrDefault(tier) + 1;
                }
            }

            foreach (var path in unlisted)
            {
                var copy = CopyEdits.Apply(edit, File.ReadAllBytes(path));
                pdqWrong += Scan(copy, pdqMatcher, pdqExpander, null).Label is null ? 0 : 1;
                fullWrong += Scan(copy, fullMatcher, fullExpander, robust, fullSweep).Label is null ? 0 : 1;
                using var image = decoder.DecodeForDisplay(copy, 512);
                probe.Search(model.Describe(image), 1, best, bestSimilarity);
                unlistedSimilarities.Add(bestSimilarity[0]);
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {edit} | {pdqFound}/{listed.Length} ({100.0 * pdqFound / listed.Length:F0} %) | {pdqWrong} | {fullFound}/{listed.Length} ({100.0 * fullFound / listed.Length:F0} %) | {fullWrong} | {string.Join(", ", tiers.Select(t => $"{t.Key} {t.Value}"))} |"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Costs on this machine (one thread), over {listed.Length} held pictures:"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- robust entry (descriptor + ORB) of one listed picture: {extract.Elapsed.TotalMilliseconds / listed.Length:F1} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- PDQ query edits (mirror, unletterbox, rotation sweep) per file no hash matched: {expandTime.Elapsed.TotalMilliseconds / Math.Max(1, expandRuns):F1} ms ({expandRuns} files)"));
        trueSimilarities.Sort();
        unlistedSimilarities.Sort();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- descriptor similarity of robust matches: lowest {trueSimilarities.FirstOrDefault():F3}, 5th percentile {Percentile(trueSimilarities, 0.05):F3}; of an unlisted copy's most similar listed picture: highest {unlistedSimilarities.LastOrDefault():F3}, median {Percentile(unlistedSimilarities, 0.5):F3} (min similarity checked: {options.MinSimilarity})"));
        output.WriteLine("- lowest descriptor similarity of a robust match per edit: " + string.Join(", ", lowestByEdit.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} {e.Value:F3}"))));
        foreach (var gate in (double[])[0.5, 0.6, 0.7, 0.75, 0.8])
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- with --min-similarity {gate}: {trueSimilarities.Count(s => s >= gate)}/{trueSimilarities.Count} robust matches kept, {unlistedSimilarities.Count(s => s < gate)}/{unlistedSimilarities.Count} unlisted copies skip every check"));
        }

        var hashMs = hashTime.Elapsed.TotalMilliseconds / Math.Max(1, hashRuns);
        var robustMs = robustTime.Elapsed.TotalMilliseconds / Math.Max(1, robustRuns);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- hash tiers per file (decode, PDQ with 8 dihedral hashes, MD5/SHA): {hashMs:F1} ms ({hashRuns} files)"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- robust tier per file the hash tiers missed (entry, shortlist, checks): {robustMs:F1} ms ({robustRuns} files), {robustMs / Math.Max(0.001, hashMs):F2} x the hash tiers"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- memory per held picture: {robust.HeldBytes / Math.Max(1, robust.Count) / 1024.0:F1} KiB in the matcher ({options.HeldKeypoints} keypoints held at most), {valueChars / listed.Length / 1024.0:F1} KiB as a list value"));
    }

    /// <summary>
    /// Per rotation, each tier run on every copy: the PDQ hashes, the cheap query edits (mirror, unletterbox), the robust
    /// tier, the rotation sweep; then the orders compared: the sweep alone (a PDQ-only list), the robust tier alone (the
    /// sweep skipped) and today's robust-then-sweep. Also the descriptor similarity a gate would need to keep the sweep
    /// for the copies only it finds.
    /// </summary>
    private static void RotationTable(
        LoadTestContext context, string[] listed, string[] unlisted, MediaFileHasher hasher, ImageDecoder decoder, ListMatcher matcher,
        PdqQueryExpander edits, PdqQueryExpander sweep, PdqQueryExpander[] smallSweeps, RobustMatcher? robust, ImageDescriptorModel model, DescriptorIndex probe)
    {
        var output = context.Out;
        var best = new int[1];
        var bestSimilarity = new float[1];
        var sweepOnly = new List<(string Edit, string Photo, double Similarity, bool SourceFirst)>();
        var unlistedMissed = new List<double>();
        var sweepTime = new Stopwatch();
        var robustTime = new Stopwatch();
        var sweepRuns = 0;
        var smallTime = new Stopwatch();
        var smallRuns = 0;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{listed.Length} listed photos, {unlisted.Length} not listed; found / false or wrong"));
        output.WriteLine();
        output.WriteLine("| edit | sweep alone (PDQ-only list) | robust alone (sweep skipped) | robust, then sweep (today) | found by (today) | robust tier by itself | robust, then sweep at 128 px | at 256 px | sweep alone at 128 px |");
        output.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");

        static string? Label(MatchResult result) => result.Status == MatchStatus.Match ? result.Matches[0].Entry.Label : null;

        (string? Hash, string? Edits, string? Robust, string? Sweep, float Similarity, string? Small, string? Medium) Tiers(byte[] copy)
        {
            var hashed = hasher.HashBytes(copy, "copy");
            var hash = Label(matcher.Match(new FileSignals { PdqDihedral = hashed.Dihedral!.Hashes.ToArray(), PdqQuality = hashed.Pdq!.Value.Quality }));
            using var image = decoder.DecodeForDisplay(copy, 512);
            var edited = Label(edits.Match(image));
            robustTime.Start();
            var found = robust is null ? null : Label(robust.Match(image));
            robustTime.Stop();
            sweepTime.Start();
            var turned = Label(sweep.Match(image));
            sweepTime.Stop();
            sweepRuns++;
            probe.Search(model.Describe(image), 1, best, bestSimilarity);
            var missed = hash is null && edited is null && found is null;
            smallTime.Start();
            var small = Label(smallSweeps[0].Match(image));
            smallTime.Stop();
            smallRuns++;
            var medium = missed ? Label(smallSweeps[1].Match(image)) : null;
            return (hash, edited, found, turned, bestSimilarity[0], small, medium);
        }

        foreach (var edit in CopyEdits.Rotations)
        {
            int[] found = new int[7], wrong = new int[7];
            var by = new SortedDictionary<string, int>(StringComparer.Ordinal);
            void Count(int column, string? result, string? expected)
            {
                found[column] += result is not null && result == expected ? 1 : 0;
                wrong[column] += result is not null && result != expected ? 1 : 0;
            }

            for (var i = 0; i < listed.Length + unlisted.Length; i++)
            {
                var path = i < listed.Length ? listed[i] : unlisted[i - listed.Length];
                var expected = i < listed.Length ? Path.GetFileName(path) : null;
                var t = Tiers(CopyEdits.Apply(edit, File.ReadAllBytes(path)));
                var first = t.Hash ?? t.Edits;
                Count(0, first ?? t.Sweep, expected);
                Count(1, first ?? t.Robust, expected);
                Count(2, first ?? t.Robust ?? t.Sweep, expected);
                Count(3, t.Robust, expected);
                Count(4, first ?? t.Robust ?? t.Small, expected);
                Count(5, first ?? t.Robust ?? t.Medium, expected);
                Count(6, first ?? t.Small, expected);
                var tier = t.Hash is not null ? "pdq" : t.Edits is not null ? "edits" : t.Robust is not null ? "robust" : t.Sweep is not null ? "rotate" : null;
                if (expected is not null && tier is not null && (first ?? t.Robust ?? t.Sweep) == expected)
                {
                    by[tier] = by.GetValueOrDefault(tier) + 1;
                }

                if (first is null && t.Robust is null && t.Sweep is not null)
                {
                    sweepOnly.Add((edit, Path.GetFileName(path), t.Similarity, expected is not null && best[0] == Array.IndexOf(listed, path)));
                }

                if (expected is null && first is null && t.Robust is null)
                {
                    unlistedMissed.Add(t.Similarity);
                }
            }

            string Cell(int c) => string.Create(CultureInfo.InvariantCulture, $"{found[c]}/{listed.Length} / {wrong[c]}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {edit} | {Cell(0)} | {Cell(1)} | {Cell(2)} | {string.Join(", ", by.Select(b => $"{b.Key} {b.Value}"))} | {Cell(3)} | {Cell(4)} | {Cell(5)} | {Cell(6)} |"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Copies only the sweep finds (no hash, no cheap edit, no robust match): {sweepOnly.Count}"));
        foreach (var (edit, photo, similarity, sourceFirst) in sweepOnly)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"- {edit} of {photo}: best descriptor similarity {similarity:F3} (its source first: {sourceFirst})"));
        }

        unlistedMissed.Sort();
        foreach (var gate in (double[])[0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9])
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"- a gate at similarity {gate}: {sweepOnly.Count(s => s.Similarity >= gate)}/{sweepOnly.Count} sweep-only finds kept, {unlistedMissed.Count(s => s >= gate)}/{unlistedMissed.Count} unlisted copies the robust tier missed still swept"));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"- one thread: rotation sweep at 128 px {smallTime.Elapsed.TotalMilliseconds / Math.Max(1, smallRuns):F1} ms per file ({smallRuns} files); at 512 px {sweepTime.Elapsed.TotalMilliseconds / Math.Max(1, sweepRuns):F1} ms per file, robust tier {robustTime.Elapsed.TotalMilliseconds / Math.Max(1, sweepRuns):F1} ms per file ({sweepRuns} files)"));
    }

    private static double Percentile(List<double> sorted, double share) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)(share * sorted.Count), 0, sorted.Count - 1)];

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Needle.slnx")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
