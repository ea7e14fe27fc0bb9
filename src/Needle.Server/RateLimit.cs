using System.Globalization;

namespace Needle.Server;

/// <summary>At most <see cref="Permits"/> requests in each fixed window of <see cref="Window"/>.</summary>
/// <param name="Permits">Requests allowed per window (at least 1).</param>
/// <param name="Window">The window's length (at least 100 ms; the limiter ticks every 100 ms).</param>
public sealed record RateLimit(int Permits, TimeSpan Window)
{
    /// <summary>"600/1m", "20/10s", "5/500ms", "1000/1h": permits, a slash, a number and a unit (ms, s, m, h).</summary>
    /// <exception cref="FormatException">The text is not of that form, or a part is out of range.</exception>
    public static RateLimit Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !int.TryParse(text.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var permits) || permits < 1)
        {
            throw new FormatException($"A rate limit is PERMITS/WINDOW, as 600/1m or 20/10s; got '{text}'.");
        }

        var window = text[(slash + 1)..].Trim();
        var unitStart = 0;
        while (unitStart < window.Length && char.IsAsciiDigit(window[unitStart]))
        {
            unitStart++;
        }

        var count = unitStart == 0 ? 1 : int.Parse(window.AsSpan(0, unitStart), NumberStyles.None, CultureInfo.InvariantCulture);
        var length = window[unitStart..] switch
        {
            "ms" => TimeSpan.FromMilliseconds(count),
            "s" => TimeSpan.FromSeconds(count),
            "m" or "min" => TimeSpan.FromMinutes(count),
            "h" => TimeSpan.FromHours(count),
            _ => throw new FormatException($"A rate limit's window ends in ms, s, m or h, as 600/1m; got '{text}'."),
        };
        var limit = new RateLimit(permits, length);
        return limit.IsValid ? limit : throw new FormatException($"A rate limit allows at least 1 request per window of 100 ms to 1 day; got '{text}'.");
    }

    /// <summary>"600/1m" (the form <see cref="Parse"/> reads).</summary>
    public override string ToString() => Window switch
    {
        { TotalHours: >= 1 } w when w.TotalHours == Math.Floor(w.TotalHours) => FormattableString.Invariant($"{Permits}/{w.TotalHours:0}h"),
        { TotalMinutes: >= 1 } w when w.TotalMinutes == Math.Floor(w.TotalMinutes) => FormattableString.Invariant($"{Permits}/{w.TotalMinutes:0}m"),
        { TotalSeconds: >= 1 } w when w.TotalSeconds == Math.Floor(w.TotalSeconds) => FormattableString.Invariant($"{Permits}/{w.TotalSeconds:0}s"),
        var w => FormattableString.Invariant($"{Permits}/{w.TotalMilliseconds:0}ms"),
    };

    private bool IsValid => Permits >= 1 && Window >= TimeSpan.FromMilliseconds(100) && Window <= TimeSpan.FromDays(1);

    internal void Validate(string what)
    {
        if (!IsValid)
        {
            throw new ArgumentOutOfRangeException(what, this.ToString(), "A rate limit allows at least 1 request per window of 100 ms to 1 day.");
        }
    }
}
