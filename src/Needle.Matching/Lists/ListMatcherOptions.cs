namespace Needle.Matching.Lists;

/// <summary>Matcher-wide settings.</summary>
public sealed record ListMatcherOptions
{
    /// <summary>Replaces every list's PDQ threshold (<c>needle scan --threshold N</c>).</summary>
    public int? PdqThresholdOverride { get; init; }

    /// <summary>Replaces every list's PhotoDNA threshold.</summary>
    public double? PhotoDnaThresholdOverride { get; init; }

    /// <summary>
    /// A PDQ hash whose known quality is below this is not matched (Meta advises ignoring quality under 50: flat
    /// images produce unreliable hashes). Exact hashes still match. Default 0: no filter.
    /// </summary>
    public int MinimumPdqQuality { get; init; }
}
