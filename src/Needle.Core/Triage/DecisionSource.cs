namespace Needle.Core.Triage;

/// <summary>Who made a decision.</summary>
public enum DecisionSource
{
    /// <summary>An analyst, on this file.</summary>
    Analyst = 0,

    /// <summary>Applied automatically: the file has the same hash as a file already decided (<see cref="FileDecision.BasedOn"/>).</summary>
    SameHash = 1,

    /// <summary>Applied by an analyst's decision on another file of the same bundle (a copy or near-copy of it).</summary>
    Bundle = 2,
}
