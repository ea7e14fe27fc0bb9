namespace Needle.Core.Lists;

/// <summary>Where a list import job is.</summary>
public enum ListImportState
{
    /// <summary>Reading and writing; nothing of it is visible yet.</summary>
    Running = 0,

    /// <summary>Committed: every entry is visible.</summary>
    Succeeded = 1,

    /// <summary>Failed or interrupted: nothing of it was kept.</summary>
    Failed = 2,
}
