using Needle.Matching.Lists;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record ListRow(string Name, HashListKind Kind, int PdqThreshold, double PhotoDnaThreshold, int Entries, int Enabled);
