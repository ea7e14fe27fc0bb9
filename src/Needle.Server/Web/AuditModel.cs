using Needle.Core.Audit;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

public sealed record AuditModel(PageFrame Frame, AuditFilters Filters, IReadOnlyList<AuditEntry> Entries, long? Before, long? Next, AuditVerification Verification, IReadOnlyList<string> Actions);
