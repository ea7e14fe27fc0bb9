namespace Needle.Geo;

/// <summary>A required data file is not there. The message names the path and how to install it.</summary>
/// <param name="path">The file expected.</param>
/// <param name="message">What is missing and how to install it.</param>
public sealed class GeoDataMissingException(string path, string message) : FileNotFoundException(message, path);
