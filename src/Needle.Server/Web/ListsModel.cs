// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record ListsModel(PageFrame Frame, IReadOnlyList<ListRow> Lists, IReadOnlyList<string> ImportFormats, IReadOnlyList<string> ExportFormats);
