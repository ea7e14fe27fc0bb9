using Needle.Core.Access;

namespace Needle.Application.Access;

/// <summary>A key just created: <paramref name="Key"/> is the full secret text, shown once and never stored.</summary>
/// <param name="Record">The key as stored.</param>
/// <param name="Key">The key text, <c>ndl_&lt;id&gt;_&lt;secret&gt;</c>, to hand to its holder.</param>
public sealed record CreatedApiKey(ApiKeyRecord Record, string Key);
