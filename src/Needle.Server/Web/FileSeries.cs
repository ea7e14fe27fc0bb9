// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

/// <summary>
/// Files of a report shown together: a series of near-duplicates (PDQ hashes within the near-duplicate distance, linked
/// in a chain) or a file on its own.
/// </summary>
/// <param name="Number">1-based, in order of each series' first file.</param>
/// <param name="Files">Its files, in file order.</param>
public sealed record FileSeries(int Number, IReadOnlyList<ReviewFile> Files)
{
    /// <summary>More than one file.</summary>
    public bool IsSeries => Files.Count > 1;

    /// <summary>The element id of the series.</summary>
    public string ElementId => "series-" + Number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
