namespace Needle.LoadTest.Video;

/// <summary>One decode path on one clip, against the reference path.</summary>
internal sealed record VideoPathResult(double Speed, int MaxDistance, double MeanDistance, double ShareWithin8, double QueryPercent, double KnownPercent);
