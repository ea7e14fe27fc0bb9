namespace Needle.Hashing.Tests;

/// <summary>
/// MD5, SHA-1 and SHA-256 of file bytes, equal to what <c>md5sum</c>, <c>sha1sum</c> and <c>sha256sum</c> print
/// (expected values computed with those tools), and the read-once path that both hashes and decodes.
/// </summary>
public sealed class DigestTests
{
    private const string FlowersMd5 = "aa96dc05cd4eea187e596b60b7686ad8";
    private const string FlowersSha1 = "c86ca929868c63197804d5face14049812473b6d";
    private const string FlowersSha256 = "f982cc1e07c2dc41203cd72a5c38871aaadb17cb52088fb2652a3c74c08f4da1";
    private const long FlowersLength = 83_166;

    private const string BridgeMd5 = "d35c785545392755e7e4164457657269";
    private const string BridgeSha1 = "ea45d7166b30f98aac6af52f952193ce3083cb4c";
    private const string BridgeSha256 = "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298";

    private static string Flowers => TestData.Photo("p04_flowers.png");

    private static string Bridge => TestData.Pdq("bridge/dih/bridge-1-original.jpg");

    [Fact]
    public void File_digests_equal_md5sum_sha1sum_and_sha256sum()
    {
        var digests = FileDigests.ComputeFile(Flowers);

        Assert.Equal(new FileDigests(FlowersMd5, FlowersSha1, FlowersSha256, FlowersLength), digests);
    }

    [Fact]
    public void File_larger_than_one_chunk_hashes_correctly()
    {
        // 361,182 bytes: more than the 256 KB chunk, so the three hashes are fed several chunks each.
        var digests = FileDigests.ComputeFile(Bridge);

        Assert.Equal((BridgeMd5, BridgeSha1, BridgeSha256, 361_182L), (digests.Md5, digests.Sha1, digests.Sha256, digests.Length));
    }

    [Fact]
    public void Digests_of_bytes_in_memory_and_of_a_stream_equal_the_file_digests()
    {
        var bytes = File.ReadAllBytes(Bridge);
        using var stream = new HookedStream(bytes, _ => { }, canSeek: false);

        Assert.Equal(FileDigests.ComputeFile(Bridge), FileDigests.Compute(bytes));
        Assert.Equal(FileDigests.ComputeFile(Bridge), FileDigests.Compute(stream));
    }

    [Fact]
    public void Empty_input_has_the_well_known_empty_digests()
    {
        var digests = FileDigests.Compute(ReadOnlySpan<byte>.Empty);

        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", digests.Md5);
        Assert.Equal("da39a3ee5e6b4b0d3255bfef95601890afd80709", digests.Sha1);
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", digests.Sha256);
        Assert.Equal(0, digests.Length);
    }

    [Fact]
    public void File_read_once_gives_both_the_digests_and_the_decoded_image()
    {
        var decoder = new ImageDecoder();
        using var file = FileContents.Read(Flowers, decoder.Options.MaxFileBytes);

        var digests = file.ComputeDigests();
        using var image = decoder.Decode(file);
        using var decodedFromPath = decoder.Decode(Flowers);

        Assert.Equal(FlowersSha256, digests.Sha256);
        Assert.Equal(FlowersLength, file.Length);
        Assert.Equal(Flowers, file.Path);
        Assert.True(image.Pixels.SequenceEqual(decodedFromPath.Pixels));
    }

    [Fact]
    public void Digests_are_available_for_a_file_that_does_not_decode()
    {
        var path = Path.Combine(TestData.HostileDirectory, "text_named_as_jpeg__UnrecognisedFormat.jpg");
        using var file = FileContents.Read(path, DecodeOptions.Default.MaxFileBytes);

        var digests = file.ComputeDigests();
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode(file));

        Assert.Equal(64, digests.Sha256.Length);
        Assert.Equal(DecodeFailure.UnrecognisedFormat, error.Failure);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_a_file_over_the_limit_is_refused_before_reading()
    {
        var error = Assert.Throws<ImageDecodeException>(() => FileContents.Read(Flowers, maxBytes: FlowersLength - 1));

        Assert.Equal(DecodeFailure.FileTooLarge, error.Failure);
        Assert.Contains("p04_flowers.png", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_a_missing_file_is_unreadable()
    {
        var path = Path.Combine(Path.GetTempPath(), $"needle-missing-{Guid.NewGuid():N}.png");

        var error = Assert.Throws<ImageDecodeException>(() => FileContents.Read(path, 1000));

        Assert.Equal(DecodeFailure.Unreadable, error.Failure);
        Assert.Contains("no such file or folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_a_forward_only_stream_grows_the_buffer_and_keeps_every_byte()
    {
        var bytes = File.ReadAllBytes(Bridge); // several times the initial 64 KB buffer
        using var stream = new HookedStream(bytes, _ => { }, canSeek: false);

        using var file = FileContents.ReadStream(stream, "pipe.jpg", maxBytes: bytes.Length);

        Assert.True(file.Bytes.Span.SequenceEqual(bytes));
        Assert.Equal(BridgeSha256, file.ComputeDigests().Sha256);
    }

    [Fact]
    public void Disposed_contents_cannot_be_read()
    {
        var file = FileContents.Read(Flowers, DecodeOptions.Default.MaxFileBytes);
        file.Dispose();

        Assert.Throws<ObjectDisposedException>(() => file.Bytes);
    }
}
