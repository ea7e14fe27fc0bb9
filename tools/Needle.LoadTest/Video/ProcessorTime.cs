using System.Globalization;

namespace Needle.LoadTest.Video;

/// <summary>
/// CPU time of this process plus its reaped children (the ffmpeg and ffprobe processes), from <c>/proc/self/stat</c>.
/// On a machine shared with other work, wall time says little about what a path costs; CPU time does.
/// </summary>
internal static class ProcessorTime
{
    /// <summary>Linux reports these times in USER_HZ, which is 100 on every architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>User + system time of this process and of its children waited for so far; null where /proc is not there.</summary>
    public static TimeSpan? Now()
    {
        string stat;
        try
        {
            stat = File.ReadAllText("/proc/self/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // Fields after the command name (which may hold spaces): state is field 3; utime, stime, cutime, cstime 14-17.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = 0;
        for (var field = 14; field <= 17; field++)
        {
            if (!long.TryParse(fields[field - 3], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                return null;
            }

            ticks += value;
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
