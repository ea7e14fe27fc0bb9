using Needle.Matching.Lists;

namespace Needle.Core.Lists;

/// <summary>A hash list's settings as stored.</summary>
public sealed record StoredList(string Name, HashListKind Kind, double? PdqThreshold, double? PhotoDnaThreshold, DateTimeOffset CreatedAt);
