namespace Needle.Core.Storage;

/// <summary>
/// The database was migrated by a newer Needle: using it with this one could damage it. Every backend throws this from
/// <see cref="INeedleStore.MigrateAsync"/>, so callers handle one type whatever the store.
/// </summary>
public sealed class NewerSchemaException : InvalidOperationException
{
    /// <param name="backend">The kind of database, as shown to an operator ("SQLite", "PostgreSQL").</param>
    /// <param name="database">Which database: a file path or a database name.</param>
    /// <param name="databaseVersion">The schema version found in it.</param>
    /// <param name="supportedVersion">The newest schema version this Needle knows.</param>
    public NewerSchemaException(string backend, string database, int databaseVersion, int supportedVersion)
        : base($"The {backend} database {database} has schema version {databaseVersion}, newer than the {supportedVersion} this Needle supports: upgrade Needle (or restore a backup) instead of opening it.")
    {
        DatabaseVersion = databaseVersion;
        SupportedVersion = supportedVersion;
    }

    /// <summary>A newer schema, without details.</summary>
    public NewerSchemaException()
    {
    }

    /// <summary>A newer schema, with an operator's message.</summary>
    public NewerSchemaException(string message)
        : base(message)
    {
    }

    /// <summary>A newer schema, with an operator's message and the error that revealed it.</summary>
    public NewerSchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The schema version found in the database.</summary>
    public int DatabaseVersion { get; }

    /// <summary>The newest schema version this Needle knows.</summary>
    public int SupportedVersion { get; }
}
