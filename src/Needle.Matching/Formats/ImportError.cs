namespace Needle.Matching.Formats;

/// <summary>One invalid record.</summary>
/// <param name="Record">1-based line number (line formats) or record number (JSON array elements, XML items).</param>
/// <param name="Field">The field at fault, if one.</param>
/// <param name="Reason">What is wrong.</param>
public sealed record ImportError(int Record, string? Field, string Reason)
{
    /// <summary>"record N: reason", or "record N, field F: reason" when a field is named.</summary>
    public override string ToString() => Field is null ? $"record {Record}: {Reason}" : $"record {Record}, field {Field}: {Reason}";
}
