using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Application.Media;
using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Cases;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Application.Cases;

/// <summary>
/// Case work on a report: its note thread, its assignment to a reviewer, its outcome, and its export package for a
/// referral, which another Needle server imports (same report and file ids, hashes, decisions, evidence; media only when
/// the exporter asked, encrypted under a passphrase). Every step is audited.
/// </summary>
public sealed class CaseService
{
    /// <summary>Longest note or outcome text, in characters.</summary>
    public const int MaxTextLength = 4000;

    /// <summary>Longest recipient (agency or queue) name, in characters.</summary>
    public const int MaxRecipientLength = 200;

    private const long MaxDocumentBytes = 64L * 1024 * 1024;

    private readonly INeedleStore _store;
    private readonly HashListService _matchers;
    private readonly MediaProtector _protector;
    private readonly TimeProvider _time;
    private readonly long _maxPackageBytes;

    /// <summary>Case work over <paramref name="store"/>.</summary>
    /// <param name="store">Where reports, case records and audit entries are read and written.</param>
    /// <param name="matchers">This server's lists: an imported file's hashes are matched against them.</param>
    /// <param name="protector">This server's media key: media is decrypted to export it and encrypted again on import.</param>
    /// <param name="time">The clock.</param>
    /// <param name="maxPackageBytes">Largest package (and largest unpacked entry) accepted on import.</param>
    public CaseService(INeedleStore store, HashListService matchers, MediaProtector protector, TimeProvider time, long maxPackageBytes)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPackageBytes);
        _store = store;
        _matchers = matchers;
        _protector = protector;
        _time = time;
        _maxPackageBytes = maxPackageBytes;
    }

    /// <summary>Adds a note to the report's thread (audited); null when there is no such report.</summary>
    /// <exception cref="ReportValidationException">The text is empty or too long.</exception>
    public Task<ReportNote?> AddNoteAsync(Guid reportId, string? text, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxTextLength)
        {
            throw new ReportValidationException([$"text is required, at most {MaxTextLength} characters"]);
        }

        var audit = new AuditEntryDraft(actor, "report.note", $"report/{reportId}", Details(new { length = trimmed.Length }), remoteAddress);
        return _store.Cases.AddNoteAsync(reportId, actor, trimmed, _time.GetUtcNow(), audit, cancellationToken);
    }

    /// <summary>
    /// Assigns the report to a reviewer (an active key with the reviewer role), or unassigns it when
    /// <paramref name="reviewer"/> is null (audited); false when there is no such report.
    /// </summary>
    /// <exception cref="ReportValidationException">The reviewer is not an active reviewer key.</exception>
    public async Task<bool> AssignAsync(Guid reportId, string? reviewer, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        string? assignee = null;
        if (!string.IsNullOrWhiteSpace(reviewer))
        {
            var now = _time.GetUtcNow();
            var key = Guid.TryParse(reviewer.Trim(), out var id) ? await _store.Keys.FindAsync(id, cancellationToken).ConfigureAwait(false) : null;
            if (key is null || key.Role != ApiRole.Reviewer || key.RevokedAt is not null || key.ExpiresAt <= now)
            {
                throw new ReportValidationException([$"reviewer '{Echo(reviewer)}' is not the id of an active reviewer key"]);
            }

            assignee = key.Id.ToString("N");
        }

        var audit = new AuditEntryDraft(actor, assignee is null ? "report.unassign" : "report.assign", $"report/{reportId}", assignee is null ? null : Details(new { reviewer = assignee }), remoteAddress);
        return await _store.Cases.AssignAsync(reportId, assignee, actor, _time.GetUtcNow(), audit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records the report's outcome (audited); null when there is no such report.</summary>
    /// <exception cref="ReportValidationException">A referral without a recipient, a text too long, or an unknown kind.</exception>
    public Task<ReportOutcome?> RecordOutcomeAsync(
        Guid reportId, OutcomeKind kind, string? recipient, string? note, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        recipient = string.IsNullOrWhiteSpace(recipient) ? null : recipient.Trim();
        note = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var errors = new List<string>();
        if (!Enum.IsDefined(kind))
        {
            errors.Add("kind must be referral, informational or closed");
        }

        if (kind == OutcomeKind.Referral && recipient is null)
        {
            errors.Add("recipient is required for a referral: the agency or queue it goes to");
        }

        if (recipient is { Length: > MaxRecipientLength })
        {
            errors.Add($"recipient must be at most {MaxRecipientLength} characters");
        }

        if (note is { Length: > MaxTextLength })
        {
            errors.Add($"note must be at most {MaxTextLength} characters");
        }

        if (errors.Count > 0)
        {
            throw new ReportValidationException(errors);
        }

        var audit = new AuditEntryDraft(actor, "report.outcome", $"report/{reportId}", Details(new { kind = kind.ToString().ToLowerInvariant(), recipient }), remoteAddress);
        return _store.Cases.RecordOutcomeAsync(reportId, kind, recipient, note, actor, _time.GetUtcNow(), audit, cancellationToken);
    }

    /// <summary>
    /// The report's export package (audited): report, files' hashes, clues and matches, decisions, jurisdiction and its
    /// evidence, notes, outcomes, as JSON and a printable HTML summary; with <paramref name="includeMedia"/>, the media
    /// too, encrypted under <paramref name="passphrase"/>. A passphrase without media still authenticates the package.
    /// Null when there is no such report.
    /// </summary>
    /// <exception cref="ReportValidationException">Media asked for without a passphrase, or a passphrase too short.</exception>
    public async Task<ExportedPackage?> ExportAsync(Guid reportId, bool includeMedia, string? passphrase, string actor, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (string.IsNullOrEmpty(passphrase))
        {
            passphrase = null;
        }

        if (includeMedia && passphrase is null)
        {
            throw new ReportValidationException(["passphrase is required to include media: the media is encrypted under it"]);
        }

        if (passphrase is { Length: < PackageCrypto.MinimumPassphraseLength })
        {
            throw new ReportValidationException([$"passphrase must be at least {PackageCrypto.MinimumPassphraseLength} characters"]);
        }

        var report = await _store.Reports.GetAsync(reportId, cancellationToken).ConfigureAwait(false);
        if (report is null)
        {
            return null;
        }

        var decisions = new List<FileDecision>();
        foreach (var file in report.Files)
        {
            decisions.AddRange(await _store.Triage.GetDecisionHistoryAsync(file.Id, cancellationToken).ConfigureAwait(false));
        }

        var salt = RandomNumberGenerator.GetBytes(PackageCrypto.SaltLength);
        using var crypto = passphrase is null ? null : new PackageCrypto(passphrase, salt, PackageCrypto.Iterations);
        var media = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var mediaIndex = new Dictionary<Guid, string>();
        if (includeMedia)
        {
            foreach (var file in report.Files.Where(f => f.HasMedia))
            {
                var stored = await _store.Reports.GetMediaAsync(file.Id, cancellationToken).ConfigureAwait(false);
                if (stored is null)
                {
                    continue;
                }

                var plaintext = _protector.Unprotect(stored.EncryptedBytes, file.Id);
                try
                {
                    var entry = PackageFormat.MediaEntry(file.Id);
                    media[entry] = crypto!.Encrypt(plaintext, file.Id);
                    mediaIndex[file.Id] = entry;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(plaintext);
                }
            }
        }

        var document = new PackageDocument
        {
            ExportedAt = _time.GetUtcNow(),
            ExportedBy = actor,
            Report = report,
            Score = await _store.Triage.GetScoreAsync(reportId, cancellationToken).ConfigureAwait(false),
            Decisions = decisions,
            Notes = await _store.Cases.GetNotesAsync(reportId, cancellationToken).ConfigureAwait(false),
            Outcomes = await _store.Cases.GetOutcomesAsync(reportId, cancellationToken).ConfigureAwait(false),
            Assignment = await _store.Cases.GetAssignmentAsync(reportId, cancellationToken).ConfigureAwait(false),
            Media = mediaIndex,
        };

        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [PackageFormat.DocumentEntry] = JsonSerializer.SerializeToUtf8Bytes(document, PackageFormat.Json),
            [PackageFormat.SummaryEntry] = Encoding.UTF8.GetBytes(PackageSummary.Render(document)),
        };
        foreach (var (name, bytes) in media)
        {
            entries[name] = bytes;
        }

        var manifest = new PackageManifest(
            PackageFormat.Name,
            PackageFormat.Version,
            [.. entries.Select(e => new PackageEntry(e.Key, e.Value.Length, Convert.ToHexStringLower(SHA256.HashData(e.Value))))],
            crypto is null ? null : new PackageEncryption(PackageCrypto.Kdf, PackageCrypto.Iterations, Convert.ToBase64String(salt), PackageCrypto.Cipher),
            null);
        if (crypto is not null)
        {
            manifest = manifest with { Mac = crypto.Mac(PackageFormat.MacText(manifest)) };
        }

        entries[PackageFormat.ManifestEntry] = JsonSerializer.SerializeToUtf8Bytes(manifest, PackageFormat.Json);

        // Audited before it is handed out: no package leaves without its entry.
        await _store.Audit.AppendAsync(
            new AuditEntryDraft(actor, "report.export", $"report/{reportId}", Details(new { files = report.Files.Count, media = mediaIndex.Count, authenticated = crypto is not null }), remoteAddress),
            cancellationToken).ConfigureAwait(false);
        return new ExportedPackage($"needle-report-{reportId:N}.zip", Zip(entries), mediaIndex.Count);
    }

    /// <summary>
    /// Re-creates the report of an export package (audited): the same report and file ids, submission, hashes, clues,
    /// jurisdiction and evidence, decisions, notes and outcomes; the files' matches are made again against this server's
    /// lists; media when the package holds it and <paramref name="passphrase"/> opens it. The report is then triaged here.
    /// </summary>
    /// <exception cref="PackageRejectedException">Not a Needle package, altered or damaged, or a missing or wrong passphrase.</exception>
    /// <exception cref="ReportAlreadyImportedException">The report or one of its files exists here already.</exception>
    public async Task<ImportedPackage> ImportAsync(byte[] package, string? passphrase, Guid importer, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(package);
        var entries = Unzip(package);
        var manifest = Parse<PackageManifest>(entries, PackageFormat.ManifestEntry);
        if (!string.Equals(manifest.Format, PackageFormat.Name, StringComparison.Ordinal) || manifest.Version != PackageFormat.Version)
        {
            throw new PackageRejectedException($"{PackageFormat.ManifestEntry}: format '{Echo(manifest.Format)}' version {manifest.Version} is not {PackageFormat.Name} version {PackageFormat.Version}");
        }

        CheckEntries(entries, manifest);
        using var crypto = OpenCrypto(manifest, passphrase);
        var document = Parse<PackageDocument>(entries, PackageFormat.DocumentEntry);
        var report = document.Report ?? throw new PackageRejectedException($"{PackageFormat.DocumentEntry}: report is missing");
        var files = report.Files ?? throw new PackageRejectedException($"{PackageFormat.DocumentEntry}: report.files is missing");
        if (document.Media.Count > 0 && crypto is null)
        {
            throw new PackageRejectedException($"{PackageFormat.ManifestEntry}: the package holds media but no encryption parameters");
        }

        var newFiles = new List<NewFile>(files.Count);
        var results = new List<FileResult>(files.Count);
        foreach (var file in files.OrderBy(f => f.Ordinal))
        {
            byte[]? encrypted = null;
            if (document.Media.TryGetValue(file.Id, out var entry))
            {
                encrypted = OpenMedia(entries, entry, file, crypto!);
            }

            newFiles.Add(new NewFile(file.Id, file.Ordinal, file.OriginalName, file.ContentType, encrypted is null ? 0 : file.Size, encrypted, file.ReporterHashes));
            results.Add(new FileResult
            {
                FileId = file.Id,
                State = file.State == FileState.Pending ? FileState.HashesOnly : file.State,
                Error = file.Error,
                Md5 = file.Md5,
                Sha1 = file.Sha1,
                Sha256 = file.Sha256,
                Pdq = file.Pdq,
                PdqQuality = file.PdqQuality,
                Width = file.Width,
                Height = file.Height,
                Format = file.Format,
                Clues = file.Clues,
                Video = file.Video,
                Matches = MatchHere(file),
            });
        }

        var fileIds = files.Select(f => f.Id).ToHashSet();
        var imported = new ImportedReport
        {
            Report = new NewReport(report.Id, report.Submission, importer, null, report.ReceivedAt, newFiles),
            ProcessedAt = report.ProcessedAt ?? _time.GetUtcNow(),
            Results = results,
            Jurisdiction = report.Jurisdiction,
            Decisions =
            [
                .. document.Decisions.Where(d => fileIds.Contains(d.FileId)).OrderBy(d => d.Id).Select(d => new NewDecision
                {
                    FileId = d.FileId,
                    Category = d.Category,
                    Note = d.Note,
                    Source = d.Source,
                    Actor = d.Actor,
                    At = d.At,
                    BasedOnFileId = d.BasedOnFileId,
                    BasedOnReason = d.BasedOnReason,
                }),
            ],
            Notes = document.Notes,
            Outcomes = document.Outcomes,
        };

        var audit = new AuditEntryDraft(
            importer.ToString("N"),
            "report.import",
            $"report/{report.Id}",
            Details(new { files = files.Count, media = document.Media.Count, decisions = imported.Decisions.Count, exportedBy = document.ExportedBy, exportedAt = document.ExportedAt }),
            remoteAddress);
        if (!await _store.Cases.ImportAsync(imported, audit, cancellationToken).ConfigureAwait(false))
        {
            throw new ReportAlreadyImportedException(report.Id);
        }

        return new ImportedPackage(report.Id, files.Count, document.Media.Count, imported.Decisions.Count);
    }

    private IReadOnlyList<StoredMatch> MatchHere(StoredFile file)
    {
        var reporter = Signals.FromReporterHashes(file.ReporterHashes);
        var signals = new FileSignals
        {
            Md5 = file.Md5 ?? reporter?.Md5,
            Sha1 = file.Sha1 ?? reporter?.Sha1,
            Sha256 = file.Sha256 ?? reporter?.Sha256,
            Pdq = file.Pdq is { } pdq && PdqHash.TryParse(pdq, out var hash) ? hash : reporter?.Pdq,
            PdqQuality = file.Pdq is null ? null : file.PdqQuality,
            PhotoDna = reporter?.PhotoDna,
        };
        return Signals.ToStoredMatches(_matchers.Match(signals));
    }

    private static PackageCrypto? OpenCrypto(PackageManifest manifest, string? passphrase)
    {
        if (manifest.Mac is null && manifest.Encryption is null)
        {
            return null;
        }

        if (manifest.Mac is null || manifest.Encryption is not { } e)
        {
            throw new PackageRejectedException($"{PackageFormat.ManifestEntry}: encryption and mac must come together");
        }

        if (string.IsNullOrEmpty(passphrase))
        {
            throw new PackageRejectedException("this package is protected by a passphrase: give it (passphrase) to import it");
        }

        if (!string.Equals(e.Kdf, PackageCrypto.Kdf, StringComparison.Ordinal) || !string.Equals(e.Cipher, PackageCrypto.Cipher, StringComparison.Ordinal)
            || e.Iterations is < PackageCrypto.MinimumIterations or > PackageCrypto.MaximumIterations)
        {
            throw new PackageRejectedException($"{PackageFormat.ManifestEntry}: encryption must be {PackageCrypto.Kdf} ({PackageCrypto.MinimumIterations:N0} to {PackageCrypto.MaximumIterations:N0} iterations) with {PackageCrypto.Cipher}");
        }

        byte[] salt;
        try
        {
            salt = Convert.FromBase64String(e.Salt);
        }
        catch (FormatException)
        {
            throw new PackageRejectedException($"{PackageFormat.ManifestEntry}: encryption.salt is not base64");
        }

        var crypto = new PackageCrypto(passphrase, salt, e.Iterations);
        var expected = Encoding.ASCII.GetBytes(crypto.Mac(PackageFormat.MacText(manifest)));
        if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(manifest.Mac)))
        {
            crypto.Dispose();
            throw new PackageRejectedException("the passphrase is wrong (the package's MAC does not verify with it; if the passphrase is right, the manifest was altered)");
        }

        return crypto;
    }

    private byte[] OpenMedia(Dictionary<string, byte[]> entries, string entry, StoredFile file, PackageCrypto crypto)
    {
        if (!string.Equals(entry, PackageFormat.MediaEntry(file.Id), StringComparison.Ordinal) || !entries.TryGetValue(entry, out var envelope))
        {
            throw new PackageRejectedException($"{PackageFormat.DocumentEntry}: media of file {file.Id} names entry '{Echo(entry)}', which the package does not hold");
        }

        byte[] plaintext;
        try
        {
            plaintext = crypto.Decrypt(envelope, file.Id);
        }
        catch (CryptographicException)
        {
            throw new PackageRejectedException($"{entry}: the media does not decrypt (altered, or not this file's)");
        }

        try
        {
            if (file.Sha256 is { } sha256 && !string.Equals(Convert.ToHexStringLower(SHA256.HashData(plaintext)), sha256, StringComparison.Ordinal))
            {
                throw new PackageRejectedException($"{entry}: the media's SHA-256 is not the file's ({sha256})");
            }

            return _protector.Protect(plaintext, file.Id);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static void CheckEntries(Dictionary<string, byte[]> entries, PackageManifest manifest)
    {
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in manifest.Entries ?? [])
        {
            if (!listed.Add(entry.Name))
            {
                throw new PackageRejectedException($"{PackageFormat.ManifestEntry}: entry '{Echo(entry.Name)}' is listed twice");
            }

            if (!entries.TryGetValue(entry.Name, out var bytes))
            {
                throw new PackageRejectedException($"the package was altered or damaged: entry '{Echo(entry.Name)}' is missing");
            }

            if (bytes.LongLength != entry.Length || !string.Equals(Convert.ToHexStringLower(SHA256.HashData(bytes)), entry.Sha256, StringComparison.Ordinal))
            {
                throw new PackageRejectedException($"the package was altered or damaged: entry '{Echo(entry.Name)}' does not match its SHA-256 in the manifest");
            }
        }

        foreach (var name in entries.Keys)
        {
            if (!string.Equals(name, PackageFormat.ManifestEntry, StringComparison.Ordinal) && !listed.Contains(name))
            {
                throw new PackageRejectedException($"the package was altered: entry '{Echo(name)}' is not in the manifest");
            }
        }

        foreach (var required in new[] { PackageFormat.DocumentEntry, PackageFormat.SummaryEntry })
        {
            if (!listed.Contains(required))
            {
                throw new PackageRejectedException($"{PackageFormat.ManifestEntry}: entry '{required}' is missing");
            }
        }
    }

    private static T Parse<T>(Dictionary<string, byte[]> entries, string name)
        where T : class
    {
        if (!entries.TryGetValue(name, out var bytes))
        {
            throw new PackageRejectedException($"not a Needle export package: it has no {name}");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(bytes, PackageFormat.Json) ?? throw new PackageRejectedException($"{name} is empty (null)");
        }
        catch (JsonException e)
        {
            throw new PackageRejectedException($"{name} is not valid: {e.Message}");
        }
    }

    private Dictionary<string, byte[]> Unzip(byte[] package)
    {
        if (package.LongLength > _maxPackageBytes)
        {
            throw new PackageRejectedException($"the package is larger than {_maxPackageBytes} bytes");
        }

        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(package, writable: false), ZipArchiveMode.Read);
            long total = 0;
            foreach (var entry in zip.Entries)
            {
                if (!IsExpectedName(entry.FullName))
                {
                    throw new PackageRejectedException($"the package holds an unexpected entry '{Echo(entry.FullName)}'");
                }

                var limit = entry.FullName.EndsWith(".json", StringComparison.Ordinal) || entry.FullName.EndsWith(".html", StringComparison.Ordinal)
                    ? Math.Min(MaxDocumentBytes, _maxPackageBytes)
                    : _maxPackageBytes;
                using var stream = entry.Open();
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int read;
                while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
                {
                    total += read;
                    if (buffer.Length + read > limit || total > 2 * _maxPackageBytes)
                    {
                        throw new PackageRejectedException($"entry '{Echo(entry.FullName)}' unpacks to more than the server accepts");
                    }

                    buffer.Write(chunk, 0, read);
                }

                if (!entries.TryAdd(entry.FullName, buffer.ToArray()))
                {
                    throw new PackageRejectedException($"the package holds entry '{Echo(entry.FullName)}' twice");
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new PackageRejectedException($"the package is not a readable zip file: {e.Message}");
        }

        return entries;
    }

    private static bool IsExpectedName(string name) =>
        name is PackageFormat.DocumentEntry or PackageFormat.SummaryEntry or PackageFormat.ManifestEntry
        || (name.StartsWith(PackageFormat.MediaFolder, StringComparison.Ordinal) && name.EndsWith(".bin", StringComparison.Ordinal)
            && Guid.TryParseExact(name[PackageFormat.MediaFolder.Length..^4], "N", out _));

    private static byte[] Zip(Dictionary<string, byte[]> entries)
    {
        using var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                // Encrypted media does not compress: store it as is.
                var entry = zip.CreateEntry(name, name.StartsWith(PackageFormat.MediaFolder, StringComparison.Ordinal) ? CompressionLevel.NoCompression : CompressionLevel.Optimal);
                using var stream = entry.Open();
                stream.Write(bytes);
            }
        }

        return output.ToArray();
    }

    private static string Details<T>(T value) => JsonSerializer.Serialize(value, Core.Serialization.DocumentJson.Options);

    private static string Echo(string? value) => value is null ? string.Empty : value.Length <= 64 ? value : value[..64] + "…";
}
