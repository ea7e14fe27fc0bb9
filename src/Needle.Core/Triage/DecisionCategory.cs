namespace Needle.Core.Triage;

/// <summary>
/// What an analyst decided a file shows: Project VIC's categories (0-4), or that it needs escalation. The numbers are
/// Project VIC's and are stored; never renumber them.
/// </summary>
public enum DecisionCategory
{
    /// <summary>0: not pertinent (not abuse material).</summary>
    NonPertinent = 0,

    /// <summary>1: child abuse material.</summary>
    ChildAbuseMaterial = 1,

    /// <summary>2: child exploitative or age-difficult.</summary>
    ExploitativeOrAgeDifficult = 2,

    /// <summary>3: CGI or animation.</summary>
    CgiOrAnimation = 3,

    /// <summary>4: comparison images (of the same victim or place, used to identify them).</summary>
    Comparison = 4,

    /// <summary>A senior analyst must look now (a child may be in danger); not a Project VIC category.</summary>
    NeedsEscalation = 9,
}
