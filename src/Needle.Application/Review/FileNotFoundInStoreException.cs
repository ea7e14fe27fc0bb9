namespace Needle.Application.Review;

/// <summary>No file has this id.</summary>
/// <param name="fileId">The id looked for.</param>
public sealed class FileNotFoundInStoreException(Guid fileId) : KeyNotFoundException($"There is no file {fileId}.")
{
    /// <summary>The id looked for.</summary>
    public Guid FileId { get; } = fileId;
}
