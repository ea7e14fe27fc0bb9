namespace Needle.Core.Storage;

/// <summary>
/// What a host registered as its store, beside the <see cref="INeedleStore"/> itself: what start-up messages call it,
/// and the facts a node decides by without knowing the backend.
/// </summary>
/// <param name="Name">Where the data is, for messages and logs (never a password), e.g. <c>SQLite /data/needle.db</c>.</param>
/// <param name="SharedByNodes">
/// True when many nodes use the same database (every node must then use the same media key, so none may make one up).
/// </param>
/// <param name="DefaultMediaKeyPath">The media key file used when none is given; null when there is no safe default.</param>
public sealed record StoreDescription(string Name, bool SharedByNodes, string? DefaultMediaKeyPath);
