using System.Text.Json;
using System.Text.Json.Serialization;

namespace Needle.Server.Endpoints;

/// <summary>HMA's BankConfig; the other HMA request and response shapes follow it in this file.</summary>
internal sealed record HmaBank(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("matching_enabled_ratio")] double MatchingEnabledRatio);

/// <summary>One lookup hit: the bank content id (the first entry id of the content) and HMA's distance text.</summary>
internal sealed record HmaMatch(
    [property: JsonPropertyName("bank_content_id")] int BankContentId,
    [property: JsonPropertyName("distance")] string Distance);

/// <summary>A vPDQ match in HMA's shape, with python-threatexchange's two shares and Needle's time ranges.</summary>
internal sealed record HmaVideoMatch(
    [property: JsonPropertyName("bank_content_id")] int BankContentId,
    [property: JsonPropertyName("distance")] string Distance,
    [property: JsonPropertyName("query_match_percent")] double QueryMatchPercent,
    [property: JsonPropertyName("compared_match_percent")] double ComparedMatchPercent,
    [property: JsonPropertyName("segments")] IReadOnlyList<HmaSegment> Segments);

/// <summary>Seconds of the query that correspond to seconds of the bank's video.</summary>
internal sealed record HmaSegment(
    [property: JsonPropertyName("query_start")] double QueryStart,
    [property: JsonPropertyName("query_end")] double QueryEnd,
    [property: JsonPropertyName("bank_start")] double BankStart,
    [property: JsonPropertyName("bank_end")] double BankEnd);

/// <summary>The answer to adding content or signals: the content id and the signals stored.</summary>
internal sealed record HmaAdded(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("signals")] IReadOnlyDictionary<string, string> Signals);

/// <summary>HMA's BankedContentMetadata (user metadata; <c>collab</c> is an exchange's provenance).</summary>
internal sealed record HmaContentMetadata(
    [property: JsonPropertyName("content_id")] string? ContentId,
    [property: JsonPropertyName("content_uri")] string? ContentUri,
    [property: JsonPropertyName("json")] JsonElement? Json,
    [property: JsonPropertyName("collab")] IReadOnlyDictionary<string, IReadOnlyList<string>>? Collab);

/// <summary>HMA's BankContentResponse; signals, metadata and note are left out when absent (HMA pops them).</summary>
internal sealed record HmaContent(
    [property: JsonPropertyName("id")] int Id,
    [property: JsonPropertyName("disable_until_ts")] long DisableUntilTs,
    [property: JsonPropertyName("original_media_uri"), JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? OriginalMediaUri,
    [property: JsonPropertyName("bank")] HmaBank Bank,
    [property: JsonPropertyName("signals"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Signals,
    [property: JsonPropertyName("metadata"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] HmaContentMetadata? Metadata,
    [property: JsonPropertyName("note"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Note);

/// <summary>One signal type's index in HMA's <c>/m/index/status</c> shape.</summary>
internal sealed record HmaIndexStatus(
    [property: JsonPropertyName("present")] bool Present,
    [property: JsonPropertyName("built_to")] long BuiltTo,
    [property: JsonPropertyName("size")] int Size);
