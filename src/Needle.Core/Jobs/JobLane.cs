namespace Needle.Core.Jobs;

/// <summary>
/// The lanes of the job queue, each leased on its own: a report with a video is processed in <see cref="Video"/>, by
/// the share of workers that runs that lane, so a backlog of long video hashing never holds up the image reports
/// (and the triage and score jobs) behind it. Within a lane, jobs are leased by <see cref="JobPriority"/>, then age.
/// </summary>
public static class JobLane
{
    /// <summary>Everything short: image reports, hash-only reports, triage and scoring.</summary>
    public const int General = 0;

    /// <summary>Processing a report that holds at least one video (minutes of ffmpeg each).</summary>
    public const int Video = 1;

    /// <summary>The lane's name in logs, metrics and docs.</summary>
    public static string Name(int lane) => lane switch
    {
        General => "general",
        Video => "video",
        _ => "lane-" + lane.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
