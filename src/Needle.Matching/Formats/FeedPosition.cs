namespace Needle.Matching.Formats;

/// <summary>
/// Where a provider's paged response says to go on (StopNCII <c>FetchHashes</c>, NCMEC <c>&lt;paging&gt;</c>): what a
/// client needs to fetch the next page or to resume later. Null on <see cref="ImportResult.Feed"/> for a plain file.
/// </summary>
public sealed record FeedPosition
{
    /// <summary>The opaque cursor of the next page (StopNCII <c>nextPageToken</c>, NCMEC <c>paging/next</c>); null or empty when there is none.</summary>
    public string? NextPage { get; init; }

    /// <summary>Whether the provider has more records after this page (StopNCII <c>hasMoreRecords</c>; NCMEC: a next page is named).</summary>
    public bool HasMore { get; init; }

    /// <summary>StopNCII's <c>nextSetTimestamp</c> (Unix seconds): the checkpoint to resume from once the cursor is played out.</summary>
    public long? NextTimestamp { get; init; }

    /// <summary>NCMEC's latest <c>maxTimestamp</c> of the page's images and videos.</summary>
    public DateTimeOffset? MaxTimestamp { get; init; }

    /// <summary>The total the provider announced (StopNCII <c>count</c>), if it did.</summary>
    public long? Count { get; init; }
}
