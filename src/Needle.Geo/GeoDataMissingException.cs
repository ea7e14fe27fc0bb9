namespace Needle.Geo;

/// <summary>A required data file is not there. The message names the path and how to install it.</summary>
public sealed class GeoDataMissingException(string path, string message) : FileNotFoundException(message, path);
