using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Needle.Core.Storage;

namespace Needle.Core.Audit;

/// <summary>
/// The audit log's hash chain. Each entry's hash covers the previous entry's hash and all of its own fields, so editing,
/// deleting, inserting or reordering any entry breaks every hash after it. Storage keeps the fields exactly
/// (<see cref="AuditEntry.At"/> to the tick, in UTC); the chain itself is database-agnostic.
/// </summary>
public static class AuditChain
{
    /// <summary>The "previous hash" of the first entry.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>SHA-256 (lowercase hex) over the previous hash and the entry's fields, each length-prefixed so no two entries serialise alike.</summary>
    public static string ComputeHash(
        string previousHash,
        long sequence,
        DateTimeOffset at,
        string actor,
        string action,
        string target,
        string? details,
        string? remoteAddress)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[8];
        AppendText(hash, previousHash);
        BinaryPrimitives.WriteInt64BigEndian(number, sequence);
        hash.AppendData(number);
        BinaryPrimitives.WriteInt64BigEndian(number, at.UtcTicks);
        hash.AppendData(number);
        AppendText(hash, actor);
        AppendText(hash, action);
        AppendText(hash, target);
        AppendText(hash, details);
        AppendText(hash, remoteAddress);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Builds the next entry of the chain.</summary>
    public static AuditEntry Chain(AuditEntry? previous, AuditEntryDraft draft, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(draft);
        var sequence = (previous?.Sequence ?? 0) + 1;
        var previousHash = previous?.Hash ?? GenesisHash;
        var utc = new DateTimeOffset(at.UtcTicks, TimeSpan.Zero);
        var hash = ComputeHash(previousHash, sequence, utc, draft.Actor, draft.Action, draft.Target, draft.Details, draft.RemoteAddress);
        return new AuditEntry(sequence, utc, draft.Actor, draft.Action, draft.Target, draft.Details, draft.RemoteAddress, previousHash, hash);
    }

    /// <summary>Walks the whole log in order and reports the first entry that breaks the chain.</summary>
    public static async Task<AuditVerification> VerifyAsync(IAuditLog log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        const int PageSize = 1000;
        var expectedSequence = 1L;
        var previousHash = GenesisHash;
        long checkedCount = 0;
        while (true)
        {
            var page = await log.ReadAsync(expectedSequence - 1, PageSize, cancellationToken).ConfigureAwait(false);
            foreach (var entry in page)
            {
                if (entry.Sequence != expectedSequence)
                {
                    return AuditVerification.Broken(checkedCount, expectedSequence,
                        entry.Sequence > expectedSequence
                            ? $"entry {expectedSequence} is missing (the next entry is {entry.Sequence}): deleted"
                            : $"entry {entry.Sequence} appears where {expectedSequence} was expected: inserted or reordered");
                }

                if (!string.Equals(entry.PreviousHash, previousHash, StringComparison.Ordinal))
                {
                    return AuditVerification.Broken(checkedCount, entry.Sequence,
                        $"entry {entry.Sequence} does not link to entry {entry.Sequence - 1}: an entry was inserted, deleted or reordered");
                }

                var recomputed = ComputeHash(entry.PreviousHash, entry.Sequence, entry.At, entry.Actor, entry.Action, entry.Target, entry.Details, entry.RemoteAddress);
                if (!string.Equals(recomputed, entry.Hash, StringComparison.Ordinal))
                {
                    return AuditVerification.Broken(checkedCount, entry.Sequence, $"entry {entry.Sequence} was edited: its content does not match its hash");
                }

                previousHash = entry.Hash;
                expectedSequence++;
                checkedCount++;
            }

            if (page.Count < PageSize)
            {
                return AuditVerification.Intact(checkedCount, previousHash);
            }
        }
    }

    private static void AppendText(IncrementalHash hash, string? text)
    {
        Span<byte> length = stackalloc byte[4];
        if (text is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            hash.AppendData(length);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
