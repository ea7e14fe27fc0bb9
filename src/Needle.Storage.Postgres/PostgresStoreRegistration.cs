using Microsoft.Extensions.DependencyInjection;
using Needle.Core.Storage;
using Npgsql;

namespace Needle.Storage.Postgres;

/// <summary>How a host picks the PostgreSQL store: <c>services.AddPostgresStore(connectionString)</c>.</summary>
public static class PostgresStoreRegistration
{
    /// <summary>
    /// Registers a <see cref="PostgresNeedleStore"/> on <paramref name="connectionString"/> as the
    /// <see cref="INeedleStore"/> (with the <see cref="TimeProvider"/> registered in <paramref name="services"/>, else the
    /// system clock), and its <see cref="StoreDescription"/>: a database shared by many nodes, so no default media key
    /// file (every node must be given the same key).
    /// </summary>
    /// <exception cref="ArgumentException">The connection string cannot be parsed (checked now, not at first use).</exception>
    public static IServiceCollection AddPostgresStore(this IServiceCollection services, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);

        // Named by host, port and database only: the connection string may hold a password.
        services.AddSingleton(new StoreDescription($"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}", SharedByNodes: true, DefaultMediaKeyPath: null));
        services.AddSingleton<INeedleStore>(provider => new PostgresNeedleStore(
            connectionString,
            new PostgresStoreOptions { TimeProvider = provider.GetService<TimeProvider>() ?? TimeProvider.System }));
        return services;
    }
}
