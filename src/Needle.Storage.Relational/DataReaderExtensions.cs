using System.Data.Common;

namespace Needle.Storage.Relational;

/// <summary>
/// Reading values every backend stores the same way: instants as UTC ticks (exact to the tick, which the audit hash and
/// the paging cursors need), nullable columns as null.
/// </summary>
internal static class DataReaderExtensions
{
    public static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);

    public static string? GetStringOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static DateTimeOffset GetInstant(this DbDataReader reader, int ordinal) => FromTicks(reader.GetInt64(ordinal));

    public static DateTimeOffset? GetInstantOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : FromTicks(reader.GetInt64(ordinal));

    public static int? GetInt32OrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt32(ordinal);

    public static long? GetInt64OrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    public static double? GetDoubleOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

    /// <summary>A uuid (PostgreSQL) or its "D" text (SQLite); both providers' GetGuid read their own form.</summary>
    public static Guid? GetGuidOrNull(this DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetGuid(ordinal);
}
