namespace Needle.Application.Lists;

/// <summary>
/// When the flood guard quarantines a list entry: it matched at least <see cref="MinMatches"/> files within
/// <see cref="Window"/>, and more than <see cref="Ratio"/> times the files per window of its <see cref="History"/> (or
/// of the rate it was last released at). Counts are kept per hour, so windows and histories are in whole hours.
/// </summary>
public sealed record FloodGuardOptions
{
    /// <summary>
    /// Which lists the guard watches: by default those an exchange feeds (<see cref="FloodGuardScope.ExchangeLists"/>),
    /// where a bad hash arrives from outside. A locally curated list is left alone unless the operator asks
    /// (<c>--flood-guard-lists all</c>): an entry with no history cannot tell a bad hash from a known picture going
    /// viral, and quarantining the latter would stop matching known material.
    /// </summary>
    public FloodGuardScope Scope { get; init; } = FloodGuardScope.ExchangeLists;

    /// <summary>Whether the guard watches any list.</summary>
    public bool Enabled => Scope != FloodGuardScope.Off;

    /// <summary>The recent window the surge is counted over (default one hour; at least one hour).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How far back the baseline reaches, window included (default seven days; longer than the window).</summary>
    public TimeSpan History { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The fewest files matched in the window that can count as a surge (default 100), so a rare entry's second match is not one.</summary>
    public int MinMatches { get; init; } = 100;

    /// <summary>How many times its baseline an entry must match in the window (default 10).</summary>
    public double Ratio { get; init; } = 10;

    /// <summary>Throws when the settings cannot work together.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Window, TimeSpan.FromHours(1), nameof(Window));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(History, Window, nameof(History));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MinMatches, nameof(MinMatches));
        ArgumentOutOfRangeException.ThrowIfLessThan(Ratio, 1.0, nameof(Ratio));
    }
}
