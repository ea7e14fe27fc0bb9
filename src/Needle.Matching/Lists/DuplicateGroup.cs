namespace Needle.Matching.Lists;

/// <summary>Entries sharing one signal type and value.</summary>
public sealed record DuplicateGroup(SignalType SignalType, string Value, IReadOnlyList<int> EntryIds);
