using System.Text.Json;
using Needle.Application.Lists;
using Needle.Core.Storage;

namespace Needle.Application.Triage;

/// <summary>
/// Every weight and threshold of triage in one place: how reports are scored, how near two images must be to link
/// their reports, and the names of the lists triage writes to. The defaults are what a hotline expects: an escalated
/// report first, then possibly new material with a clue to where it was made, known material last. Loaded from a JSON
/// file (camelCase property names; absent properties keep their defaults) with <see cref="Load"/>.
/// </summary>
public sealed record ScoringOptions
{
    /// <summary>The defaults.</summary>
    public static ScoringOptions Default { get; } = new();

    /// <summary>
    /// The reporter flagged a child possibly in imminent danger. Above the sum of every other positive weight for any
    /// report of fewer than about 2,000 unknown files (the unknown-media weight grows with the logarithm of their
    /// count), so an escalated report comes first; raise it if your reports are larger.
    /// </summary>
    public double Escalated { get; init; } = 2000;

    /// <summary>A file's current decision is "needs escalation": a senior analyst must look now.</summary>
    public double NeedsEscalationDecision { get; init; } = 1500;

    /// <summary>The first file matching nothing known (not allow-listed, not resolved as a copy): possibly new material.</summary>
    public double FirstUnknownFile { get; init; } = 300;

    /// <summary>
    /// Added each time the number of unknown files doubles: the unknown-media weight is
    /// <c>firstUnknownFile + extraUnknownFile × log2(unknown files)</c>. Sublinear, so one huge dump does not bury every
    /// other report, but unbounded, so a 24-file unknown series (+458) always outweighs a 3-file one (+158); with the
    /// defaults an escalated report stays above any report of fewer than about 2,000 unknown files.
    /// </summary>
    public double ExtraUnknownFile { get; init; } = 100;

    /// <summary>
    /// Some file cannot be assessed: only its hashes were reported (no media to look at or to match by likeness), its
    /// media does not decode, or its PDQ quality is under <see cref="MinimumPdqQuality"/> (so it was not matched by
    /// likeness, flipped or not). Such a file is counted apart and never as possibly new material.
    /// </summary>
    public double Unassessable { get; init; } = 10;

    /// <summary>Some file matches a known list: it still needs a referral, but after new material.</summary>
    public double KnownMedia { get; init; } = 50;

    /// <summary>A file carries a GPS fix (where the picture was taken).</summary>
    public double GpsLocation { get; init; } = 150;

    /// <summary>An IP address of the reported person resolves to a country.</summary>
    public double IpLocation { get; init; } = 50;

    /// <summary>A file was captured (EXIF DateTimeOriginal) at most <see cref="RecentCaptureDays"/> before the report arrived.</summary>
    public double RecentCapture { get; init; } = 100;

    /// <summary>How recent counts for <see cref="RecentCapture"/>: a capture at most this many days before the report arrived.</summary>
    public int RecentCaptureDays { get; init; } = 30;

    /// <summary>Per other report sharing an account, email, IP, device or camera with this one.</summary>
    public double LinkedReport { get; init; } = 40;

    /// <summary>At most this many linked reports count.</summary>
    public int MaxLinkedReports { get; init; } = 5;

    /// <summary>Per file beyond the first.</summary>
    public double ExtraFile { get; init; } = 2;

    /// <summary>At most this many extra files count.</summary>
    public int MaxExtraFiles { get; init; } = 25;

    /// <summary>Known material only, every file already decided elsewhere: closed automatically as informational.</summary>
    public double Informational { get; init; } = -100;

    /// <summary>Two images within this many PDQ bits are near-duplicates (links reports, carries bundle decisions).</summary>
    public int NearDuplicateDistance { get; init; } = 31;

    /// <summary>
    /// Images with a lower PDQ quality are not matched against the lists by PDQ (nor their flips and rotations), not
    /// indexed for near-duplicates nor added to the organisation's list by PDQ (flat images match everything); triage
    /// counts them as unassessable. The server's list matcher takes its minimum from here, so the two never disagree.
    /// </summary>
    public int MinimumPdqQuality { get; init; } = 50;

    /// <summary>At most this many links are stored per triage of a report.</summary>
    public int MaxLinks { get; init; } = 200;

    /// <summary>At most this many reports in a bundle.</summary>
    public int MaxBundleReports { get; init; } = 100;

    /// <summary>At most this many copies receive one decision.</summary>
    public int MaxCopiesPerDecision { get; init; } = 1000;

    /// <summary>
    /// How many media sequences the near-duplicate index reads again at each catch-up, for a backend whose transactions
    /// may make a lower sequence visible after a higher one (see <see cref="ITriageStore.ReadMediaHashesAsync"/>). Both
    /// of Needle's need none: SQLite has one writer, and PostgreSQL's read waits for the writers holding a sequence.
    /// </summary>
    public int MediaRereadSequences { get; init; }

    /// <summary>How long a claim on a report holds unless renewed.</summary>
    public TimeSpan ClaimDuration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The organisation's own list, where confirmed new material goes (created on first use, kind known).</summary>
    public string OrganisationList { get; init; } = "needle-confirmed";

    /// <summary>The allow list of false positives reported against shared lists (created on first use).</summary>
    public string FalsePositiveList { get; init; } = "needle-false-positives";

    /// <summary>Reads options from a JSON file and checks them.</summary>
    /// <exception cref="InvalidDataException">The file is not valid options; the message names the file and what is wrong.</exception>
    public static ScoringOptions Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        ScoringOptions? options;
        try
        {
            using var stream = File.OpenRead(path);
            options = JsonSerializer.Deserialize<ScoringOptions>(stream, FileJson);
        }
        catch (JsonException e) when (e.Message.Contains("maxExtraUnknownFiles", StringComparison.Ordinal))
        {
            throw new InvalidDataException(
                $"the scoring options in {path} set maxExtraUnknownFiles, which is gone: unknown files now score by the logarithm of their count (extraUnknownFile per doubling, no cap); remove it", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the scoring options in {path} are not valid JSON: {e.Message}", e);
        }

        return (options ?? throw new InvalidDataException($"the scoring options file {path} is empty (null)")).Validated(path);
    }

    /// <summary>Checks every value; returns this when valid.</summary>
    /// <exception cref="InvalidDataException">Something is out of range; the message names <paramref name="source"/> and every problem.</exception>
    public ScoringOptions Validated(string source = "scoring options")
    {
        var errors = new List<string>();
        void Finite(string name, double value)
        {
            if (!double.IsFinite(value))
            {
                errors.Add($"{name} must be a finite number");
            }
        }

        void AtLeast(string name, long value, long minimum)
        {
            if (value < minimum)
            {
                errors.Add($"{name} must be at least {minimum} (got {value})");
            }
        }

        Finite("escalated", Escalated);
        Finite("needsEscalationDecision", NeedsEscalationDecision);
        Finite("firstUnknownFile", FirstUnknownFile);
        Finite("extraUnknownFile", ExtraUnknownFile);
        Finite("unassessable", Unassessable);
        Finite("knownMedia", KnownMedia);
        Finite("gpsLocation", GpsLocation);
        Finite("ipLocation", IpLocation);
        Finite("recentCapture", RecentCapture);
        Finite("linkedReport", LinkedReport);
        Finite("extraFile", ExtraFile);
        Finite("informational", Informational);
        AtLeast("recentCaptureDays", RecentCaptureDays, 0);
        AtLeast("maxLinkedReports", MaxLinkedReports, 0);
        AtLeast("maxExtraFiles", MaxExtraFiles, 0);
        AtLeast("maxLinks", MaxLinks, 1);
        AtLeast("maxBundleReports", MaxBundleReports, 1);
        AtLeast("maxCopiesPerDecision", MaxCopiesPerDecision, 1);
        AtLeast("mediaRereadSequences", MediaRereadSequences, 0);
        if (NearDuplicateDistance is < 0 or > 128)
        {
            errors.Add($"nearDuplicateDistance must be 0 to 128 bits (got {NearDuplicateDistance})");
        }

        if (MinimumPdqQuality is < 0 or > 100)
        {
            errors.Add($"minimumPdqQuality must be 0 to 100 (got {MinimumPdqQuality})");
        }

        if (ClaimDuration <= TimeSpan.Zero)
        {
            errors.Add($"claimDuration must be positive (got {ClaimDuration})");
        }

        foreach (var (name, value) in new[] { ("organisationList", OrganisationList), ("falsePositiveList", FalsePositiveList) })
        {
            try
            {
                HashListService.ValidateListName(value);
            }
            catch (ArgumentException e)
            {
                errors.Add($"{name}: {e.Message.Split(" (Parameter", 2)[0]}");
            }
        }

        if (string.Equals(OrganisationList, FalsePositiveList, StringComparison.Ordinal))
        {
            errors.Add("organisationList and falsePositiveList must differ (one is a known list, the other an allow list)");
        }

        return errors.Count == 0 ? this : throw new InvalidDataException($"{source}: {string.Join("; ", errors)}");
    }

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };
}
