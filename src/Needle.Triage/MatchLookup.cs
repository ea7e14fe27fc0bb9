using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Triage;

/// <summary>The hashes computed for looked-up media and what they matched.</summary>
public sealed record MediaLookupResult(MediaHashResult Hashes, MatchResult Match);

/// <summary>
/// Matches media or hashes against the lists without storing anything (<c>POST /api/v1/lookup</c>). Media is hashed
/// as reports are: PDQ with its dihedral variants, MD5, SHA-1, SHA-256. Thread-safe.
/// </summary>
public sealed class MatchLookup
{
    private readonly MatcherHost _matchers;
    private readonly ImageDecoder _decoder;
    private readonly MediaHashOptions _hashOptions;

    public MatchLookup(MatcherHost matchers, ImageDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(matchers);
        ArgumentNullException.ThrowIfNull(decoder);
        _matchers = matchers;
        _decoder = decoder;
        _hashOptions = new MediaHashOptions
        {
            Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5 | HashAlgorithms.Sha1 | HashAlgorithms.Sha256,
            Dihedral = true,
            Decode = decoder.Options,
        };
    }

    /// <summary>Hashes and matches media; an undecodable file is still matched by its exact hashes.</summary>
    public MatchResult LookupMedia(ReadOnlyMemory<byte> bytes, string name, CancellationToken ct = default) =>
        LookupMediaWithHashes(bytes, name, ct).Match;

    /// <summary>Like <see cref="LookupMedia"/>, also returning the hashes used (and the decode error, if any).</summary>
    public MediaLookupResult LookupMediaWithHashes(ReadOnlyMemory<byte> bytes, string name, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);

        // A hasher per call: it is not thread-safe, and lookups run concurrently.
        var hashed = new MediaFileHasher(_hashOptions, _decoder).HashBytes(bytes, name, ct);
        return new MediaLookupResult(hashed, _matchers.Match(Signals.FromHashes(hashed, null)));
    }

    /// <summary>Matches hashes computed elsewhere.</summary>
    /// <exception cref="ReportValidationException">A hash is malformed, or none is given.</exception>
    public MatchResult LookupHashes(ReporterHashes hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var errors = new List<string>();
        ReportIntake.CheckHashes(errors, "hashes", hashes);
        if (ReportIntake.IsEmpty(hashes))
        {
            errors.Add("give at least one hash");
        }

        if (errors.Count > 0)
        {
            throw new ReportValidationException(errors);
        }

        return _matchers.Match(Signals.FromReporterHashes(hashes)!);
    }
}
