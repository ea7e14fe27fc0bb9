namespace Needle.Application.Review;

/// <summary>No file has this id.</summary>
public sealed class FileNotFoundInStoreException(Guid fileId) : KeyNotFoundException($"There is no file {fileId}.")
{
    public Guid FileId { get; } = fileId;
}
