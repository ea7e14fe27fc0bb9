namespace Needle.Geo;

/// <summary>A first-level (or finer) administrative area: ISO 3166-2 code (when the data has one) and English name.</summary>
/// <param name="Code">ISO 3166-2 code, e.g. <c>FR-ARA</c>; null when the data has none.</param>
/// <param name="Name">English name.</param>
public sealed record AdminArea(string? Code, string Name);
