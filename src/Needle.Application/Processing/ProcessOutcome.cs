namespace Needle.Application.Processing;

/// <summary>What became of one leased job.</summary>
public enum ProcessOutcome
{
    /// <summary>The results were stored and the report marked processed.</summary>
    Completed,

    /// <summary>The lease ran out and another worker took the job; nothing was stored by this worker.</summary>
    LeaseLost,

    /// <summary>Processing failed; the job was given back to run again later (or parked after too many attempts).</summary>
    Failed,
}
