using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>One source list held in a compiled list file.</summary>
/// <param name="Name">The list's name, as matches report it.</param>
/// <param name="Kind">Known material or an allow list.</param>
/// <param name="EntryCount">Entries compiled from the list (enabled or not).</param>
public sealed record CompiledListInfo(string Name, HashListKind Kind, long EntryCount);
