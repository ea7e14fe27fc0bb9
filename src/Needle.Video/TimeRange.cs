namespace Needle.Video;

/// <summary>A time span in seconds.</summary>
public readonly record struct TimeRange(double Start, double End)
{
    /// <summary>The range as <c>start-end</c> in seconds, to the millisecond.</summary>
    public override string ToString() => FormattableString.Invariant($"{Start:0.###}-{End:0.###}");
}
