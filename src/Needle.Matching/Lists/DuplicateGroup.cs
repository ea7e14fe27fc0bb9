namespace Needle.Matching.Lists;

/// <summary>Entries sharing one signal type and value.</summary>
/// <param name="SignalType">The signal type shared.</param>
/// <param name="Value">The canonical value shared.</param>
/// <param name="EntryIds">The ids of the entries holding it (two or more), in entry order.</param>
public sealed record DuplicateGroup(SignalType SignalType, string Value, IReadOnlyList<int> EntryIds);
