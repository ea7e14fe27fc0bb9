namespace Needle.Core.Clues;

/// <summary>The EXIF thumbnail against the main image, by PDQ.</summary>
/// <param name="Bytes">The thumbnail's size.</param>
/// <param name="Pdq">Its PDQ hash (hex), when it decoded.</param>
/// <param name="PdqQuality">Its PDQ quality.</param>
/// <param name="Distance">Hamming distance to the main image's PDQ, when both exist.</param>
/// <param name="Differs">
/// Distance over 31 (PDQ's usual match threshold) with both qualities at least 50: the thumbnail
/// shows another picture (often the original before an edit). Null when it cannot be judged.
/// </param>
/// <param name="Error">Why the thumbnail could not be hashed.</param>
public sealed record ThumbnailClue(int Bytes, string? Pdq, int? PdqQuality, int? Distance, bool? Differs, string? Error);
