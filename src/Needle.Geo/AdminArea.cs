namespace Needle.Geo;

/// <summary>A first-level (or finer) administrative area: ISO 3166-2 code (when the data has one) and English name.</summary>
public sealed record AdminArea(string? Code, string Name);
