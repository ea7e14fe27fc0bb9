using Needle.Testing.Postgres;

namespace Needle.Server.Tests;

/// <summary>
/// The tests that share one PostgreSQL server. xunit finds collection definitions only in the test assembly itself, so
/// each test project that uses <see cref="PostgresServer"/> declares its own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
