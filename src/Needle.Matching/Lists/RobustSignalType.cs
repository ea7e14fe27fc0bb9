using System.Diagnostics.CodeAnalysis;

namespace Needle.Matching.Lists;

/// <summary>
/// Needle's robust entry (<see cref="RobustFeatures"/>, <c>r1.</c> or <c>r2.</c> + base64). Lists hold and carry these entries;
/// the robust tier matches them (a descriptor shortlist, then a geometric check), so <see cref="ListMatcher"/> finds
/// none itself. The threshold is unused (the tier has its own settings).
/// </summary>
internal sealed class RobustSignalType : SignalType
{
    public override string Name => "robust";

    public override SignalComparison Comparison => SignalComparison.Geometric;

    public override bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem)
    {
        if (!RobustFeatures.TryDecode(text, out _, out problem))
        {
            normalized = null;
            return false;
        }

        normalized = text.Trim().ToString();
        return true;
    }

    internal override SignalMatcher CreateMatcher(SignalMatcherContext context) => new NoSignalMatcher();
}
