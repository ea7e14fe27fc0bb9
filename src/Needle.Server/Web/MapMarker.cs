// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record MapMarker(double X, double Y, string Label);
