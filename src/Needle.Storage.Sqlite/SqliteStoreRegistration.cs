using Microsoft.Extensions.DependencyInjection;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

/// <summary>How a host picks the SQLite store: <c>services.AddSqliteStore("needle.db")</c>.</summary>
public static class SqliteStoreRegistration
{
    /// <summary>
    /// Registers a <see cref="SqliteNeedleStore"/> on the file at <paramref name="path"/> as the <see cref="INeedleStore"/>
    /// (with the <see cref="TimeProvider"/> registered in <paramref name="services"/>, else the system clock), and its
    /// <see cref="StoreDescription"/>: one node's database, media key file beside it by default.
    /// </summary>
    public static IServiceCollection AddSqliteStore(this IServiceCollection services, string path)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = Path.GetFullPath(path);
        services.AddSingleton(new StoreDescription("SQLite " + fullPath, SharedByNodes: false, DefaultMediaKeyPath: fullPath + ".key"));
        services.AddSingleton<INeedleStore>(provider => new SqliteNeedleStore(
            fullPath,
            new SqliteStoreOptions { TimeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System }));
        return services;
    }
}
