// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record PreferencesModel(PageFrame Frame, ReviewSettings Effective, ReviewSettings Org, ReviewSettings? User, bool CanEditOrg);
