namespace Needle.Core.Triage;

/// <summary>How the review queue is ordered; every order ends with the oldest first, then the report id, so paging is stable.</summary>
public enum QueueOrder
{
    /// <summary>Highest score first, then oldest first (the default).</summary>
    Score = 0,

    /// <summary>Oldest received first.</summary>
    Age = 1,

    /// <summary>Most files first, then oldest first.</summary>
    Files = 2,
}
