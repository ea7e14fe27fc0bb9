using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Lists;

/// <summary>
/// What a signal matcher needs from its host: where PDQ indexes come from, the list it searches and that list's value
/// column of the matcher's type (null for types without fixed-width values), which matchers may search in place.
/// </summary>
internal sealed record SignalMatcherContext(Func<IPdqIndex> PdqIndexFactory, HashList List, ValueColumn? Column);

/// <summary>One raw hit of a signal matcher: the matcher slot, its distance and the transform it matched through.</summary>
internal readonly record struct SignalHit(int Slot, double Distance, DihedralTransform Transform);

/// <summary>
/// Searches the values of one signal type in one list of a <see cref="ListMatcher"/>. Slots are the list's rows; the
/// value row is the value's place in the list's <see cref="ValueColumn"/> (-1 for types without one). Writers are
/// serialized by the owner and never run concurrently with <see cref="Match"/>.
/// </summary>
internal abstract class SignalMatcher
{
    /// <summary>Adds a value in the binary form of its type (<see cref="SignalType.EncodeValue"/>); empty for types without one.</summary>
    public abstract void Add(int slot, int valueRow, ReadOnlySpan<byte> value, bool enabled);

    public abstract void Remove(int slot, int valueRow);

    /// <summary>
    /// From here until <see cref="EndBulk"/> the matcher may only collect what it is told (no <see cref="Match"/>), to
    /// build its structure once: how a matcher over an existing list starts.
    /// </summary>
    public virtual void BeginBulk()
    {
    }

    /// <summary>Builds what was collected since <see cref="BeginBulk"/>.</summary>
    public virtual void EndBulk()
    {
    }

    public abstract void SetEnabled(int slot, int valueRow, bool enabled);

    /// <summary>Appends hits within <paramref name="maxDistance"/> for the query's value of this type, if it has one.</summary>
    public abstract void Match(FileSignals signals, double maxDistance, List<SignalHit> hits);
}
