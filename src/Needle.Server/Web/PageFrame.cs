// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

/// <summary>What every page's frame needs: who is signed in, the anti-forgery token for its forms, the break reminder.</summary>
public sealed record PageFrame(string Title, WebUser? User, string CsrfField, string CsrfToken, string Section)
{
    /// <summary>Minutes of continuous review before the break reminder (0: none; pages other than review pass 0).</summary>
    public int BreakMinutes { get; init; }

    /// <summary>A one-line notice at the top of the page (what just happened).</summary>
    public string? Notice { get; init; }

    /// <summary>A one-line error at the top of the page.</summary>
    public string? Error { get; init; }

    /// <summary>The person's shortcut keys for the script (JSON by action), "off" when they turned them off; null on pages without shortcuts.</summary>
    public string? Keys { get; init; }
}
