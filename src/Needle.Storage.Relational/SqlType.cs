namespace Needle.Storage.Relational;

/// <summary>
/// What a parameter holds, so that a <see cref="SqlDialect"/> can bind it in its database's own type (and type its
/// nulls, which carry no value to infer one from).
/// </summary>
internal enum SqlType
{
    /// <summary>A string.</summary>
    Text,

    /// <summary>A 32-bit integer (counts, ordinals, enums).</summary>
    Integer,

    /// <summary>A 64-bit integer: ids, sequences, and instants as UTC ticks.</summary>
    BigInt,

    /// <summary>A double-precision number.</summary>
    Real,

    /// <summary>A flag.</summary>
    Flag,

    /// <summary>A GUID.</summary>
    Uuid,

    /// <summary>Bytes (encrypted media, key hashes).</summary>
    Bytes,

    /// <summary>A JSON document, already serialised.</summary>
    Json,
}
