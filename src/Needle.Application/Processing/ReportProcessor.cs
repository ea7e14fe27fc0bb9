using System.Security.Cryptography;
using Needle.Application.Clues;
using Needle.Application.Lists;
using Needle.Application.Media;
using Needle.Core.Jobs;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Processing;

/// <summary>
/// Processes reports from the job queue: decrypts each file's media, hashes it (PDQ with its eight dihedral variants,
/// MD5, SHA-1, SHA-256), matches it against the lists, and stores all results with the job's completion in one
/// transaction. Completion only succeeds while the lease is held, so a job run twice (a worker that stalled past its
/// lease) has the effect of once. Thread-safe: several workers may call <see cref="ProcessNextAsync"/> at once.
/// </summary>
public sealed class ReportProcessor
{
    private readonly INeedleStore _store;
    private readonly HashListService _matchers;
    private readonly MediaProtector _protector;
    private readonly TimeProvider _time;
    private readonly ProcessorOptions _options;
    private readonly ImageDecoder _decoder;
    private readonly MediaHashOptions _hashOptions;
    private readonly VideoHasher? _videoHasher;
    private readonly FloodGuard _floodGuard;

    /// <summary>A processor over <paramref name="store"/> matching against <paramref name="matchers"/>.</summary>
    /// <param name="store">Where reports, media and jobs are read and results written.</param>
    /// <param name="matchers">The lists files are matched against.</param>
    /// <param name="protector">Decrypts the stored media.</param>
    /// <param name="time">The clock for decode time-outs, lease renewal and idle waits.</param>
    /// <param name="options">Lease, retry, decoding and video settings; the lease must be positive and the retry delay not negative.</param>
    public ReportProcessor(INeedleStore store, HashListService matchers, MediaProtector protector, TimeProvider time, ProcessorOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.Lease, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.RetryAfter, TimeSpan.Zero, nameof(options));
        _store = store;
        _matchers = matchers;
        _protector = protector;
        _time = time;
        _options = options;
        _decoder = new ImageDecoder(options.Decode, time);
        _hashOptions = new MediaHashOptions
        {
            Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5 | HashAlgorithms.Sha1 | HashAlgorithms.Sha256,
            Dihedral = true,
            Decode = options.Decode,
        };
        _videoHasher = options.Video is { } video ? new VideoHasher(video with { ComputeDigests = true }) : null;
        _floodGuard = new FloodGuard(store.Lists, matchers, time, options.FloodGuard, store.Exchanges);
    }

    /// <summary>
    /// Leases one job and processes it. True when a job was leased (whatever its outcome), false when the queue had
    /// none, so a worker loop waits only when there is nothing to do.
    /// </summary>
    public async Task<bool> ProcessNextAsync(string workerId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        var job = await _store.Jobs.TryLeaseAsync(workerId, _options.Lease, ct).ConfigureAwait(false);
        if (job is null)
        {
            return false;
        }

        await ProcessAsync(job, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// A worker loop for a hosted service: processes jobs back to back and, when the queue is empty, waits
    /// <paramref name="idleDelay"/> before looking again. Returns when <paramref name="ct"/> is cancelled.
    /// </summary>
    public async Task RunAsync(string workerId, TimeSpan idleDelay, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(idleDelay, TimeSpan.Zero);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (!await ProcessNextAsync(workerId, ct).ConfigureAwait(false))
                {
                    await Task.Delay(idleDelay, _time, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    /// <summary>Processes a job already leased. Failures release the job for a retry; cancellation releases it too and rethrows.</summary>
    public async Task<ProcessOutcome> ProcessAsync(LeasedJob job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        try
        {
            var computed = await ComputeResultsAsync(job, ct).ConfigureAwait(false);
            if (computed is not { } done)
            {
                return ProcessOutcome.LeaseLost;
            }

            if (!await _store.Jobs.CompleteReportAsync(job, done.Results, done.Jurisdiction, ct).ConfigureAwait(false))
            {
                return ProcessOutcome.LeaseLost;
            }

            Count(done.Results);
            await GuardAsync(done.Results, ct).ConfigureAwait(false);
            return ProcessOutcome.Completed;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Shutting down: give the job back at once for another worker (best effort; the lease expires anyway).
            await TryReleaseAsync(job, "cancelled: the worker stopped", TimeSpan.Zero).ConfigureAwait(false);
            throw;
        }
        catch (StorageFullException e)
        {
            // The database's failure, not the job's: retried without counting, so a long outage never parks it.
            await UncountedRelease.ReleaseAsync(_store.Jobs, job, e.Message, _options.RetryAfter, _options.Lease, _time, ct).ConfigureAwait(false);
            return ProcessOutcome.Failed;
        }
        catch (Exception e)
        {
            await TryReleaseAsync(job, $"{e.GetType().Name}: {e.Message}", _options.RetryAfter).ConfigureAwait(false);
            return ProcessOutcome.Failed;
        }
    }

    /// <summary>
    /// Runs the flood guard over a completed report's matches. The report is stored whatever happens here: a failed
    /// check is not the job's failure, and the counts it would have read are checked again on the entry's next match.
    /// </summary>
    private async Task GuardAsync(IReadOnlyList<FileResult> results, CancellationToken ct)
    {
        try
        {
            await _floodGuard.CheckAsync(results, ct).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The report is stored; the entry's next match checks its counts again.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>Counts a completed report's files and matches (once stored: a job run twice is counted twice, as it ran twice).</summary>
    private void Count(IReadOnlyList<FileResult> results)
    {
        if (_options.Metrics is not { } metrics)
        {
            return;
        }

        var lane = JobLane.General;
        foreach (var result in results)
        {
            lane = result.Video is null ? lane : JobLane.Video;
            metrics.FileProcessed(result.State switch
            {
                FileState.Hashed => "hashed",
                FileState.Unreadable => "unreadable",
                FileState.HashesOnly => "hashes-only",
                _ => "pending",
            });
            foreach (var match in result.Matches)
            {
                metrics.Matched(match.ListName, match.AllowList);
            }
        }

        metrics.ReportProcessed(lane);
    }

    /// <summary>The results of every file and the report's jurisdiction, or null when the lease was lost on the way.</summary>
    private async Task<(IReadOnlyList<FileResult> Results, ReportJurisdiction Jurisdiction)?> ComputeResultsAsync(LeasedJob job, CancellationToken ct)
    {
        if (!string.Equals(job.Kind, JobKinds.ProcessReport, StringComparison.Ordinal))
        {
            // Fails (and is eventually parked) rather than being completed as a report it is not.
            throw new InvalidOperationException($"Job {job.Id} is of kind '{job.Kind}', which this processor does not run.");
        }

        var report = await _store.Reports.GetAsync(job.SubjectId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Job {job.Id} names report {job.SubjectId}, which does not exist.");

        // One hasher per job: it owns reusable buffers and is not thread-safe.
        var hasher = new MediaFileHasher(_hashOptions, _decoder);
        var clueReader = new FileClueReader(_options.Geo, _decoder);
        var results = new List<FileResult>(report.Files.Count);
        var leaseStarted = _time.GetUtcNow();
        foreach (var file in report.Files.OrderBy(static f => f.Ordinal))
        {
            ct.ThrowIfCancellationRequested();

            // Renew once half the lease is used, so a long report keeps it; stop if it was lost already.
            if (_time.GetUtcNow() - leaseStarted > _options.Lease / 2)
            {
                if (!await _store.Jobs.RenewAsync(job, _options.Lease, ct).ConfigureAwait(false))
                {
                    return null;
                }

                leaseStarted = _time.GetUtcNow();
            }

            var result = file.HasMedia
                ? await ProcessMediaAsync(job, file, hasher, clueReader, ct).ConfigureAwait(false)
                : ProcessHashesOnly(file);
            if (result is null)
            {
                return null;
            }

            results.Add(result);
        }

        var clues = results.ToDictionary(static r => r.FileId, static r => r.Clues);
        var evidence = JurisdictionRouter.Collect(report.Submission, report.Files.Select(f => (f, clues.GetValueOrDefault(f.Id))), _options.Geo);
        return (results, JurisdictionRouter.Decide(evidence, _options.Routing));
    }

    /// <summary>One file's results, or null when the lease was lost while a video was hashed.</summary>
    private async Task<FileResult?> ProcessMediaAsync(LeasedJob job, StoredFile file, MediaFileHasher hasher, FileClueReader clueReader, CancellationToken ct)
    {
        var media = await _store.Reports.GetMediaAsync(file.Id, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"The media of file {file.Id} is missing.");

        // A CryptographicException here (wrong key, tampering) fails the job: it is retried and then parked, never
        // recorded as an unreadable image, because the file itself may be fine.
        var bytes = _protector.Unprotect(media.EncryptedBytes, file.Id);
        try
        {
            var name = file.OriginalName ?? file.Id.ToString();
            if (VideoFiles.LooksLikeVideo(bytes.AsSpan(0, Math.Min(bytes.Length, 512))))
            {
                return await ProcessVideoAsync(job, file, bytes, clueReader, name, ct).ConfigureAwait(false);
            }

            var hashed = hasher.HashBytes(bytes, name, ct);

            // Metadata is read from the same decrypted bytes, also for files that do not decode (a truncated JPEG
            // may still hold its EXIF block); a broken block is reported in the clues, never failing the file.
            var clues = clueReader.Read(bytes, hashed.Pdq, name, ct);
            var signals = Signals.FromHashes(hashed, file.ReporterHashes);
            var matches = Signals.ToStoredMatches(_matchers.Match(signals));
            VideoSummary? animationSummary = null;
            if (hashed.Animation is { } animation)
            {
                // Every frame of an animated GIF, WebP or APNG is matched, as a video's would be.
                var video = AnimationMatches.ToVideoHash(animation, hashed.Width, hashed.Height);
                var minQuality = _options.VideoMatch.MinQuality;
                matches = [.. matches, .. AnimationMatches.Match(_matchers.Match, v => _matchers.MatchVideo(v, _options.VideoMatch), animation, video, minQuality, matches)];
                var vpdq = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
                VpdqFormat.Write(vpdq, video.Frames);
                animationSummary = new VideoSummary(video.Duration, video.FrameRate, video.Width, video.Height, video.Frames.Count,
                    CountUnmatchable(video, minQuality), video.Truncated, vpdq.ToString());
            }

            if (!hashed.Succeeded)
            {
                _options.Metrics?.DecodeFailed(hashed.Format.ToString().ToLowerInvariant(), hashed.Failure?.ToString() ?? "unknown");
                return new FileResult
                {
                    FileId = file.Id,
                    State = FileState.Unreadable,
                    Error = hashed.Error,
                    Md5 = hashed.Md5,
                    Sha1 = hashed.Sha1,
                    Sha256 = hashed.Sha256,
                    Matches = matches,
                    Clues = clues,
                };
            }

            if (_matchers.RobustExtractor is { } extractor)
            {
                matches = await RobustAsync(file, bytes, name, hashed.Sha256, extractor, matches, ct).ConfigureAwait(false);
            }

            return new FileResult
            {
                FileId = file.Id,
                State = FileState.Hashed,
                Md5 = hashed.Md5,
                Sha1 = hashed.Sha1,
                Sha256 = hashed.Sha256,
                Pdq = hashed.Pdq?.Hash.ToString(),
                PdqQuality = hashed.Pdq?.Quality,
                Width = hashed.Width,
                Height = hashed.Height,
                Format = hashed.Format.ToString().ToLowerInvariant(),
                Matches = matches,
                Clues = clues,
                Video = animationSummary,
            };
        }
        finally
        {
            // Do not leave decrypted media lying in memory longer than needed.
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    /// <summary>
    /// The robust tier for a decoded image: its features are computed once and stored (the similarity column, triage's
    /// robust links and the organisation's list read them), and a file no hash matched is matched against the robust
    /// entries of the lists. A picture too small or flat to describe gets no features and no match; a failure of the
    /// tier itself leaves the hash results as they are.
    /// </summary>
    private async Task<IReadOnlyList<StoredMatch>> RobustAsync(
        StoredFile file, byte[] bytes, string name, string? sha256, Needle.Robust.RobustFeatureExtractor extractor, IReadOnlyList<StoredMatch> matches, CancellationToken ct)
    {
        // An identical copy (a viral file in thousands of reports) refers to the features stored for the first one
        // instead of computing (~26 ms) and storing (~24 KB) the same again; they are read back only to match.
        // Only features of the model in use are reused: another model's (the model changed) are not comparable.
        RobustFeatures? features = null;
        var model = extractor.Model.ModelId;
        var storedModel = string.Equals(model, RobustFeatures.DefaultModelId, StringComparison.Ordinal) ? null : model;
        if (sha256 is not null && await _store.Robust.FindBySha256Async(sha256, storedModel, ct).ConfigureAwait(false) is { } source &&
            await _store.Robust.SaveCopyAsync(file.Id, file.ReportId, source, ct).ConfigureAwait(false))
        {
            if (matches.Count > 0 || !_matchers.HasRobustEntries ||
                await _store.Robust.GetFeaturesAsync(source, ct).ConfigureAwait(false) is not { } stored ||
                !RobustFeatures.TryDecode(stored, out features, out _))
            {
                return matches;
            }
        }

        DecodedImage image;
        try
        {
            image = _decoder.DecodeForDisplay(bytes, Needle.Robust.LocalFeatureExtractor.WorkingSize, name, ct);
        }
        catch (ImageDecodeException)
        {
            return matches;
        }

        using (image)
        {
            if (features is not null)
            {
                var copyFound = _matchers.MatchRobust(image, features, ct);
                return copyFound.Status == MatchStatus.NoMatch ? matches : Signals.ToStoredMatches(copyFound);
            }

            try
            {
                features = extractor.Extract(image);
            }
#pragma warning disable CA1031 // The native tier failing on one picture must not cost the file its hash results.
            catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
            {
                _options.Metrics?.DecodeFailed("robust", e.GetType().Name);
                return matches;
            }

            if (features is null)
            {
                return matches;
            }

            await _store.Robust.SaveAsync(
                new RobustFeatureRow(file.Id, file.ReportId, Triage.HalfDescriptor.Encode(features.Descriptor), features.Encode()) { Sha256 = sha256, Model = storedModel }, ct).ConfigureAwait(false);
            if (matches.Count > 0 || !_matchers.HasRobustEntries)
            {
                return matches;
            }

            var found = _matchers.MatchRobust(image, features, ct);
            return found.Status == MatchStatus.NoMatch ? matches : Signals.ToStoredMatches(found);
        }
    }

    /// <summary>
    /// Hashes a video with ffmpeg from a private temporary copy of the decrypted bytes (0600, deleted before returning)
    /// and matches its MD5/SHA against the lists and its vPDQ against their video entries. A video ffmpeg cannot read,
    /// or one over a limit, is an unreadable file with the reason; its exact hashes are still matched.
    /// </summary>
    private async Task<FileResult?> ProcessVideoAsync(LeasedJob job, StoredFile file, byte[] bytes, FileClueReader clueReader, string name, CancellationToken ct)
    {
        VideoHash? video = null;
        string? error = null;
        if (_videoHasher is null)
        {
            error = "video hashing is turned off on this server";
        }
        else
        {
            var path = PrivateMediaFiles.Write(bytes, _options.VideoTempDirectory);
            try
            {
                video = await HashVideoHoldingLeaseAsync(job, _videoHasher, path, ct).ConfigureAwait(false);
                if (video is null)
                {
                    return null;
                }
            }
            catch (VideoHashException e)
            {
                error = "video: " + e.Message;
                _options.Metrics?.DecodeFailed("video", "ffmpeg");
            }
            finally
            {
                File.Delete(path);
            }
        }

        var digests = video?.Digests ?? FileDigests.Compute(bytes);
        var exact = new FileSignals
        {
            Md5 = digests.Md5,
            Sha1 = digests.Sha1,
            Sha256 = digests.Sha256,
            PhotoDna = Signals.PhotoDnaBytes(file.ReporterHashes?.PhotoDna),
        };
        var matches = Signals.ToStoredMatches(_matchers.Match(exact)).ToList();
        if (video is not null)
        {
            matches.AddRange(Signals.ToStoredMatches(_matchers.MatchVideo(video, _options.VideoMatch)));
        }

        var clues = clueReader.Read(bytes, null, name, ct);
        if (video is null)
        {
            return new FileResult
            {
                FileId = file.Id,
                State = FileState.Unreadable,
                Error = error,
                Md5 = digests.Md5,
                Sha1 = digests.Sha1,
                Sha256 = digests.Sha256,
                Format = "video",
                Matches = matches,
                Clues = clues,
            };
        }

        var vpdq = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        VpdqFormat.Write(vpdq, video.Frames);
        return new FileResult
        {
            FileId = file.Id,
            State = FileState.Hashed,
            Md5 = digests.Md5,
            Sha1 = digests.Sha1,
            Sha256 = digests.Sha256,
            Width = video.Width,
            Height = video.Height,
            Format = "video",
            Matches = matches,
            Clues = clues,
            Video = new VideoSummary(video.Duration, video.FrameRate, video.Width, video.Height, video.Frames.Count, CountUnmatchable(video, _options.VideoMatch.MinQuality), video.Truncated, vpdq.ToString()),
        };
    }

    /// <summary>Sampled frames under the match quality: kept in the stored vPDQ text (as the reference writes it), never matched.</summary>
    private static int CountUnmatchable(VideoHash video, int minQuality)
    {
        var count = 0;
        foreach (var frame in video.Frames)
        {
            count += frame.Quality < minQuality ? 1 : 0;
        }

        return count;
    }

    /// <summary>
    /// Hashes a video on a pool thread and renews the lease every third of it meanwhile, so a video longer to hash than
    /// the lease keeps its job; null (ffmpeg stopped) when the lease was lost.
    /// </summary>
    private async Task<VideoHash?> HashVideoHoldingLeaseAsync(LeasedJob job, VideoHasher hasher, string path, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var hashing = Task.Run(() => hasher.Hash(path, stop.Token), CancellationToken.None);
        try
        {
            while (true)
            {
                using var renewal = CancellationTokenSource.CreateLinkedTokenSource(ct);
                var renewDue = Task.Delay(_options.Lease / 3, _time, renewal.Token);
                if (await Task.WhenAny(hashing, renewDue).ConfigureAwait(false) == hashing)
                {
                    await renewal.CancelAsync().ConfigureAwait(false);
                    return await hashing.ConfigureAwait(false);
                }

                ct.ThrowIfCancellationRequested();
                if (!await _store.Jobs.RenewAsync(job, _options.Lease, ct).ConfigureAwait(false))
                {
                    return null;
                }
            }
        }
        finally
        {
            // Lease lost, cancelled or failed: stop ffmpeg and wait for it before the file is deleted.
            if (!hashing.IsCompleted)
            {
                await stop.CancelAsync().ConfigureAwait(false);
                try
                {
                    await hashing.ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The hash is abandoned; what matters is that ffmpeg has exited.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }

    private FileResult ProcessHashesOnly(StoredFile file)
    {
        var signals = Signals.FromReporterHashes(file.ReporterHashes);
        return new FileResult
        {
            FileId = file.Id,
            State = FileState.HashesOnly,
            Matches = signals is null ? [] : Signals.ToStoredMatches(_matchers.Match(signals)),
        };
    }

    private async Task TryReleaseAsync(LeasedJob job, string error, TimeSpan retryAfter)
    {
        try
        {
            await _store.Jobs.ReleaseAsync(job, error, retryAfter, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The original failure matters more; an unreleased job is leased again when its lease ends.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}
