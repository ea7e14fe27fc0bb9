namespace Needle.Core.Access;

/// <summary>What a caller is allowed to do.</summary>
public enum ApiRole
{
    /// <summary>Submit reports, look up hashes.</summary>
    Submitter = 0,

    /// <summary>Read reports, files and media; record decisions.</summary>
    Reviewer = 1,

    /// <summary>Lists, keys, settings.</summary>
    Admin = 2,

    /// <summary>Read and verify the audit log.</summary>
    Auditor = 3,

    /// <summary>
    /// An HMA-style integration (such as ROOST's Coop): every HMA-compatible route (<c>/h</c> hashing, <c>/m</c>
    /// matching, <c>/c</c> banks and their content) with one key, and nothing else: no reports, keys, settings or audit.
    /// </summary>
    Integration = 4,
    /// <summary>Another Needle server following this one's lists: reads list change feeds, nothing else.</summary>
    Exchange = 5,
}
