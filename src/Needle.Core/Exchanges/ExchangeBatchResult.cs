namespace Needle.Core.Exchanges;

/// <summary>What applying an <see cref="ExchangeBatch"/> changed in the list.</summary>
/// <param name="Added">Entries added (a changed entry counts as removed and added).</param>
/// <param name="Removed">Entries removed.</param>
public sealed record ExchangeBatchResult(int Added, int Removed);
