namespace Needle.Core.Triage;

/// <summary>
/// A key a report can share with others: an account, an address, a device, a camera, a media hash. Values are
/// normalised so equal things compare equal (emails and screen names lower-cased, IPs in canonical form, hashes hex).
/// </summary>
/// <param name="Kind">What is shared.</param>
/// <param name="Value">The normalised value.</param>
/// <param name="FileId">The file the key comes from (media hashes, camera serials); null for keys of the reported person.</param>
public sealed record LinkKey(LinkKind Kind, string Value, Guid? FileId);
