using Needle.Matching.Lists;

namespace Needle.Core.Lists;

/// <summary>A hash list's settings as stored.</summary>
/// <param name="Name">The list's unique name.</param>
/// <param name="Kind">Known material or an allow list of false positives.</param>
/// <param name="PdqThreshold">PDQ Hamming threshold (inclusive, 0..256); null for the default (31).</param>
/// <param name="PhotoDnaThreshold">PhotoDNA Euclidean threshold (inclusive); null for the default (200).</param>
/// <param name="CreatedAt">When the list was created.</param>
public sealed record StoredList(string Name, HashListKind Kind, double? PdqThreshold, double? PhotoDnaThreshold, DateTimeOffset CreatedAt);
