namespace Needle.Storage.Sqlite;

/// <summary>The database was written by a newer Needle: opening it with this one could damage it.</summary>
public sealed class NewerSchemaException : InvalidOperationException
{
    public NewerSchemaException(string dataSource, int fileVersion, int supportedVersion)
        : base($"The SQLite database {dataSource} has schema version {fileVersion}, newer than the {supportedVersion} this Needle supports: upgrade Needle (or restore a backup) instead of opening it.")
    {
        FileVersion = fileVersion;
        SupportedVersion = supportedVersion;
    }

    public NewerSchemaException()
    {
    }

    public NewerSchemaException(string message)
        : base(message)
    {
    }

    public NewerSchemaException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int FileVersion { get; }

    public int SupportedVersion { get; }
}
