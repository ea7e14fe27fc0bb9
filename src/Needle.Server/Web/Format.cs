using System.Globalization;
using Needle.Application.Clues;
using Needle.Core.Triage;

namespace Needle.Server.Web;

/// <summary>How the pages write times, sizes and reasons: one place, invariant culture, UTC.</summary>
public static class Format
{
    public static string Time(DateTimeOffset? at) =>
        at is { } value ? value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "—";

    public static string Size(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        _ => (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
    };

    /// <summary>Seconds as m:ss (or h:mm:ss), as video players show time.</summary>
    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, Math.Round(seconds)));
        return t.TotalHours >= 1
            ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
            : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }

    /// <summary>A short span in words: "10 seconds", "5 minutes".</summary>
    public static string Span(TimeSpan span) => span.TotalSeconds < 90
        ? Math.Round(span.TotalSeconds).ToString("0", CultureInfo.InvariantCulture) + " seconds"
        : span.TotalMinutes < 90 ? Math.Round(span.TotalMinutes).ToString("0", CultureInfo.InvariantCulture) + " minutes"
        : span.TotalHours < 48 ? Math.Round(span.TotalHours).ToString("0", CultureInfo.InvariantCulture) + " hours"
        : Math.Round(span.TotalDays).ToString("0", CultureInfo.InvariantCulture) + " days";

    /// <summary>How long ago, compactly, for the queue table: "35 min", "4 h", "3 d".</summary>
    public static string Age(TimeSpan age) => age.TotalMinutes < 60
        ? Math.Max(0, Math.Floor(age.TotalMinutes)).ToString("0", CultureInfo.InvariantCulture) + " min"
        : age.TotalHours < 48 ? Math.Floor(age.TotalHours).ToString("0", CultureInfo.InvariantCulture) + " h"
        : Math.Floor(age.TotalDays).ToString("0", CultureInfo.InvariantCulture) + " d";

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string WithSign(double value) => (value >= 0 ? "+" : "−") + Math.Abs(value).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Category(DecisionCategory category) => WebEndpoints.CategoryText(category);

    public static string Source(FileDecision decision) => decision.Source switch
    {
        DecisionSource.Analyst => "by an analyst",
        DecisionSource.SameHash => "automatically: same media decided before" + (decision.BasedOnReason is { } reason ? $" ({reason})" : ""),
        DecisionSource.Bundle => "through its bundle" + (decision.BasedOnReason is { } reason ? $" ({reason})" : ""),
        _ => decision.Source.ToString(),
    };

    public static string State(ReviewState state) => state switch
    {
        ReviewState.Untriaged => "Not triaged yet",
        ReviewState.AwaitingReview => "Awaiting review",
        ReviewState.Reviewed => "Reviewed",
        ReviewState.Informational => "Informational",
        _ => state.ToString(),
    };

    public static string Link(ReportLink link) => link.Kind switch
    {
        LinkKind.SameMedia => "Same file (" + Abbreviated(link.Value) + ")",
        LinkKind.SimilarMedia => "Near-duplicate image" + (link.Distance is { } d ? $" (PDQ distance {d})" : ""),
        LinkKind.Robust => "Cropped, rotated or mirrored copy (" + link.Value + ")",
        LinkKind.ScreenName => "Same screen name: " + link.Value,
        LinkKind.Email => "Same email: " + link.Value,
        LinkKind.EspUserId => "Same platform user id: " + link.Value,
        LinkKind.IpAddress => "Same IP address: " + link.Value,
        LinkKind.DeviceId => "Same device id: " + link.Value,
        LinkKind.CameraSerial => "Same camera serial number: " + link.Value,
        _ => link.Kind + ": " + link.Value,
    };

    /// <summary>What the jurisdiction was decided on.</summary>
    public static string Basis(string basis) => basis switch
    {
        JurisdictionRouter.BasisGps => "Placed by the GPS position of a file.",
        JurisdictionRouter.BasisUploadIp => "Placed by the IP address of the upload.",
        JurisdictionRouter.BasisIp => "Placed by an IP address of the reported person.",
        JurisdictionRouter.BasisNone => "No location clue: sent to the default queue.",
        _ => basis,
    };

    /// <summary>A long hash cut to its first characters (the full value is in the title).</summary>
    public static string Abbreviated(string? value) => value is null ? "—" : value.Length <= 20 ? value : value[..16] + "…";

    /// <summary>A short id for people: the last 8 hex digits (the random part of a version 7 id; the first ones are its time).</summary>
    public static string Id(Guid id) => id.ToString("N")[^8..];
}
