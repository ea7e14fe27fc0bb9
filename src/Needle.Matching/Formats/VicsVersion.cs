// Format "vics": Project VIC VICS JSON, OData 1.3 ("odata.metadata") and 2.0 ("@odata.context").
// Assumptions:
// - Each element of "value" is a Media and one record (record number = 1-based position in "value").
// - Hashes are read from the 1.3 fields (MD5, SHA1, PhotoDNA, and PDQ/SHA256 if present) AND from a 2.0 "Hashes"
//   array of {HashName, HashValue}, in either version: real 2.0 exports also carry top-level MD5/SHA1. The same value
//   given twice in one Media yields one entry. Empty or null hash values mean "absent". Unknown HashNames are kept as
//   metadata "Hash.<name>". A Media without any hash is invalid.
// - MediaID (number or string) becomes the label shared by the Media's entries; Category must be an integer (or a
//   numeric string). Every other property (Series, VictimIdentified, OffenderIdentified, IsDistributed, Tags,
//   Comments, ...) is kept as metadata text, arrays/objects as raw JSON.
// - The file is streamed: one Media is in memory at a time (buffer capped by ImportOptions.MaxRecordBytes), depth is
//   capped by ImportOptions.MaxJsonDepth.
// - Export writes 2.0 by default (1.3 with VicsVersion.V1_3, which has no field for PDQ or SHA-256 and throws for
//   them). Entries sharing a label are one Media. VICS has no "disabled" flag: disabled entries are not exported.
//   Metadata text that is valid JSON number/bool/array/object is written as such (VICS types), otherwise as string.
namespace Needle.Matching.Formats;

/// <summary>Which VICS data model to write.</summary>
public enum VicsVersion
{
#pragma warning disable CA1707 // Version numbers read as the specification writes them: 1.3, 2.0.
    /// <summary>OData 1.3: one field per hash (MD5, SHA1, PhotoDNA).</summary>
    V1_3,

    /// <summary>OData 2.0: a Hashes array.</summary>
    V2_0,
#pragma warning restore CA1707
}
