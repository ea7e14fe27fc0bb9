namespace Needle.Geo;

/// <summary>Where a lookup's answer came from, printed next to each answer so an operator can weigh it.</summary>
/// <param name="Name">The dataset, e.g. <c>country-coder 5.6.1 borders</c>.</param>
/// <param name="Date">The data's date (an IP database's build date; a boundary set's release), when known.</param>
/// <param name="Licence">Its licence, with any attribution it requires.</param>
public sealed record GeoDataSource(string Name, DateTimeOffset? Date, string Licence);
