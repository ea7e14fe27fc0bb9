using Needle.Core.Access;

namespace Needle.Application.Access;

/// <summary>A key just created: <paramref name="Key"/> is the full secret text, shown once and never stored.</summary>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Key);
