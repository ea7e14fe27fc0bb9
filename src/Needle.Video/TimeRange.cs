namespace Needle.Video;

/// <summary>A time span in seconds.</summary>
public readonly record struct TimeRange(double Start, double End)
{
    public override string ToString() => FormattableString.Invariant($"{Start:0.###}-{End:0.###}");
}
