namespace Needle.Storage.Postgres;

/// <summary>The database was migrated by a newer Needle: using it with this one could damage it.</summary>
public sealed class NewerPostgresSchemaException : InvalidOperationException
{
    public NewerPostgresSchemaException(string database, int databaseVersion, int supportedVersion)
        : base($"The PostgreSQL database {database} has schema version {databaseVersion}, newer than the {supportedVersion} this Needle supports: upgrade Needle (or restore a backup) instead of using it.")
    {
        DatabaseVersion = databaseVersion;
        SupportedVersion = supportedVersion;
    }

    public NewerPostgresSchemaException()
    {
    }

    public NewerPostgresSchemaException(string message)
        : base(message)
    {
    }

    public NewerPostgresSchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int DatabaseVersion { get; }

    public int SupportedVersion { get; }
}
