using System.Security.Cryptography;
using Needle.Application.Media;

namespace Needle.Application.Tests;

public sealed class MediaProtectorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("needle-key-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void RoundTrips()
    {
        var protector = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32));
        var plaintext = RandomNumberGenerator.GetBytes(10_000);
        var fileId = Guid.NewGuid();

        var envelope = protector.Protect(plaintext, fileId);

        Assert.Equal(plaintext.Length + MediaProtector.Overhead, envelope.Length);
        Assert.Equal(1, envelope[0]);
        Assert.Equal(plaintext, protector.Unprotect(envelope, fileId));
    }

    [Fact]
    public void UsesAFreshNoncePerMessage()
    {
        var protector = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32));
        var fileId = Guid.NewGuid();
        Assert.NotEqual(protector.Protect([1, 2, 3], fileId), protector.Protect([1, 2, 3], fileId));
    }

    [Fact]
    public void RoundTripsAnEmptyPlaintext()
    {
        var protector = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32));
        var fileId = Guid.NewGuid();
        Assert.Empty(protector.Unprotect(protector.Protect([], fileId), fileId));
    }

    [Fact]
    public void RefusesEveryFlippedByte()
    {
        var protector = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32));
        var fileId = Guid.NewGuid();
        var envelope = protector.Protect("benign landscape bytes"u8, fileId);
        for (var i = 0; i < envelope.Length; i++)
        {
            var tampered = (byte[])envelope.Clone();
            tampered[i] ^= 0x01;
            Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(tampered, fileId));
        }
    }

    [Fact]
    public void RefusesATruncatedEnvelope()
    {
        var protector = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32));
        var fileId = Guid.NewGuid();
        var envelope = protector.Protect("benign"u8, fileId);
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(envelope.AsSpan(0, envelope.Length - 1), fileId));
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(envelope.AsSpan(0, 10), fileId));
    }

    [Fact]
    public void RefusesAnotherFileId()
    {
        var protector = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32));
        var envelope = protector.Protect("benign"u8, Guid.NewGuid());
        Assert.ThrowsAny<CryptographicException>(() => protector.Unprotect(envelope, Guid.NewGuid()));
    }

    [Fact]
    public void RefusesAnotherKey()
    {
        var fileId = Guid.NewGuid();
        var envelope = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32)).Protect("benign"u8, fileId);
        var other = MediaProtector.FromKey(RandomNumberGenerator.GetBytes(32));
        var e = Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(envelope, fileId));
        Assert.Contains("different key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusesAKeyOfTheWrongLength() =>
        Assert.Throws<ArgumentException>(() => MediaProtector.FromKey(new byte[16]));

    [Fact]
    public void CreatesTheKeyFileOwnerOnlyAndReusesIt()
    {
        var path = Path.Combine(_folder, "keys", "media.key");

        var first = MediaProtector.LoadOrCreate(path, out var created);
        Assert.True(created);
        Assert.True(File.Exists(path));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.Equal(32, Convert.FromBase64String(File.ReadAllText(path).Trim()).Length);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!)); // no temporary file left behind

        var second = MediaProtector.LoadOrCreate(path, out var createdAgain);
        Assert.False(createdAgain);
        var fileId = Guid.NewGuid();
        Assert.Equal([7, 8, 9], second.Unprotect(first.Protect([7, 8, 9], fileId), fileId));
    }

    [Fact]
    public void RefusesAMalformedKeyFile()
    {
        var path = Path.Combine(_folder, "bad.key");
        File.WriteAllText(path, "not a key");
        var e = Assert.Throws<InvalidOperationException>(() => MediaProtector.LoadOrCreate(path, out _));
        Assert.DoesNotContain("not a key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadsTheKeyFromTheEnvironment()
    {
        var variable = "NEEDLE_TEST_MEDIA_KEY_" + Guid.NewGuid().ToString("N");
        Assert.Null(MediaProtector.FromEnvironment(variable));

        var key = RandomNumberGenerator.GetBytes(32);
        Environment.SetEnvironmentVariable(variable, Convert.ToBase64String(key));
        try
        {
            var fromEnvironment = MediaProtector.FromEnvironment(variable)!;
            var fileId = Guid.NewGuid();
            Assert.Equal([1], MediaProtector.FromKey(key).Unprotect(fromEnvironment.Protect([1], fileId), fileId));

            Environment.SetEnvironmentVariable(variable, Convert.ToBase64String(new byte[31]));
            Assert.Throws<InvalidOperationException>(() => MediaProtector.FromEnvironment(variable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }
}
