using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML.OnnxRuntime;

namespace Needle.Robust;

/// <summary>
/// ONNX Runtime's fully optimised graph of a model, kept in a cache folder so later processes skip the graph
/// optimisation (about half of creating ResNet18's session). One data file and one manifest per model path. The
/// manifest names what the graph was made from and for (the model file's SHA-256, the runtime version, the CPU's
/// instruction sets: the optimised graph can hold hardware-specific kernels) and the data file's length and checksum;
/// a manifest that names anything else is stale, a data file of another length or checksum, or one the runtime cannot
/// load, is damaged: either is rebuilt, with the reason reported. Written to temporary names and renamed into place, the
/// data before the manifest, so a reader never trusts a half-written file.
/// </summary>
internal static class OptimizedModelCache
{
    private const string Magic = "needle-optimized-onnx 1";
    private const string Level = "ORT_ENABLE_ALL";

    /// <summary>What happened, for the caller's report.</summary>
    internal readonly record struct Outcome(string Kind, string Path, string? Reason)
    {
        public override string ToString() => Reason is null ? $"{Kind} {Path}" : $"{Kind} {Path} ({Reason})";
    }

    /// <summary>
    /// A session over <paramref name="modelPath"/> (SHA-256 <paramref name="modelSha256"/>) with every graph optimisation:
    /// read from the cache in <paramref name="directory"/> when it holds a sound graph for this model, runtime and CPU,
    /// else optimised now and written there. <paramref name="configure"/> sets the options every session shares.
    /// </summary>
    public static (InferenceSession Session, Outcome Outcome) Open(string directory, string modelPath, byte[] modelSha256, Action<SessionOptions> configure)
    {
        var fullModelPath = Path.GetFullPath(modelPath);
        var name = Name(fullModelPath);
        var dataPath = Path.Combine(directory, name + ".onnx");
        var manifestPath = Path.Combine(directory, name + ".manifest");
        var header = Header(fullModelPath, modelSha256);
        var reason = Check(manifestPath, dataPath, header);
        if (reason is null)
        {
            using var cachedOptions = new SessionOptions();
            configure(cachedOptions);
            // The graph is already optimised: optimising it again would only cost time.
            cachedOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            try
            {
                return (new InferenceSession(dataPath, cachedOptions), new Outcome("used", dataPath, null));
            }
            catch (OnnxRuntimeException e)
            {
                reason = $"damaged: the runtime could not load it: {FirstLine(e.Message)}";
            }
        }

        using var options = new SessionOptions();
        configure(options);
        options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
        // The runtime warns that the graph it writes is for this machine's CPU: the manifest records which.
        options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
        string? temporary = null;
        try
        {
            Directory.CreateDirectory(directory);
            temporary = Path.Combine(directory, $"{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            options.OptimizedModelFilePath = temporary;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            temporary = null;
            reason = $"{reason ?? "not cached"}; cannot write the cache folder: {e.Message}";
        }

        InferenceSession session;
        try
        {
            session = new InferenceSession(modelPath, options);
        }
        catch (OnnxRuntimeException e) when (temporary is not null)
        {
            // Writing the graph failed (a full disk, say), or the model itself did: try once more without writing, so
            // a cache problem never stops the tier while a model problem still fails as it would uncached.
            TryDelete(temporary);
            using var plain = new SessionOptions();
            configure(plain);
            plain.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
            session = new InferenceSession(modelPath, plain);
            return (session, new Outcome("not cached", dataPath, $"{reason ?? "new"}; cannot write the graph: {FirstLine(e.Message)}"));
        }

        if (temporary is null)
        {
            return (session, new Outcome("not cached", dataPath, reason));
        }

        try
        {
            var (length, checksum) = Checksum(temporary);
            var manifestTemporary = temporary + ".manifest";
            File.WriteAllText(manifestTemporary, header + string.Create(CultureInfo.InvariantCulture, $"bytes {length}\nxxh128 {checksum}\n"));
            File.Move(temporary, dataPath, overwrite: true);
            File.Move(manifestTemporary, manifestPath, overwrite: true);
            return (session, reason is null or "new" ? new Outcome("built", dataPath, null) : new Outcome("rebuilt", dataPath, reason));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            TryDelete(temporary + ".manifest");
            return (session, new Outcome("not cached", dataPath, $"{reason ?? "new"}; cannot write the cache: {e.Message}"));
        }
    }

    /// <summary>
    /// The SHA-256 of <paramref name="modelPath"/>, from the cache's record of it when the file still has the recorded
    /// length and checksum (XxHash128 of its blocks: the whole file read, at a third of SHA-256's cost), else computed
    /// with <paramref name="sha256"/> and recorded. A record that cannot be read or written only costs the SHA-256.
    /// </summary>
    public static byte[] ModelSha256(string directory, string modelPath, Func<string, byte[]> sha256)
    {
        var fullModelPath = Path.GetFullPath(modelPath);
        var recordPath = Path.Combine(directory, Name(fullModelPath) + ".model");
        (long Length, string Checksum) current;
        try
        {
            current = Checksum(modelPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return sha256(modelPath);
        }

        var prefix = string.Create(CultureInfo.InvariantCulture, $"{Magic}\nmodel {fullModelPath}\nbytes {current.Length}\nxxh128 {current.Checksum}\nsha256 ");
        try
        {
            var record = File.ReadAllText(recordPath);
            if (record.StartsWith(prefix, StringComparison.Ordinal) && record.Length == prefix.Length + 65 && record[^1] == '\n' &&
                TryHex(record.AsSpan(prefix.Length, 64), out var recorded))
            {
                return recorded;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // No record yet (or an unreadable one): computed and written below.
        }

        var hash = sha256(modelPath);
        try
        {
            Directory.CreateDirectory(directory);
            var temporary = Path.Combine(directory, $"{Name(fullModelPath)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            File.WriteAllText(temporary, prefix + Convert.ToHexStringLower(hash) + "\n");
            File.Move(temporary, recordPath, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // Not recorded: the next process computes it again.
        }

        return hash;
    }

    private static string Name(string fullModelPath) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(fullModelPath)).AsSpan(0, 12));

    private static bool TryHex(ReadOnlySpan<char> text, out byte[] bytes)
    {
        bytes = new byte[text.Length / 2];
        return Convert.FromHexString(text, bytes, out var consumed, out var written) == System.Buffers.OperationStatus.Done &&
            consumed == text.Length && written == bytes.Length;
    }

    // Null when the manifest and data file are sound for this header; else why not.
    private static string? Check(string manifestPath, string dataPath, string header)
    {
        string manifest;
        try
        {
            manifest = File.ReadAllText(manifestPath);
        }
        catch (FileNotFoundException)
        {
            return File.Exists(dataPath) ? "damaged: its manifest is missing" : "new";
        }
        catch (DirectoryNotFoundException)
        {
            return "new";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"damaged: its manifest cannot be read: {e.Message}";
        }

        if (!manifest.StartsWith(header, StringComparison.Ordinal))
        {
            var expected = header.Split('\n');
            var found = manifest.Split('\n');
            for (var i = 0; i < expected.Length - 1; i++)
            {
                if (i >= found.Length || !string.Equals(expected[i], found[i], StringComparison.Ordinal))
                {
                    var field = expected[i].Split(' ', 2)[0];
                    return $"stale: made for another {field}";
                }
            }

            return "damaged: its manifest is not one";
        }

        var rest = manifest.AsSpan(header.Length).ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (rest.Length != 2 || !rest[0].StartsWith("bytes ", StringComparison.Ordinal) || !rest[1].StartsWith("xxh128 ", StringComparison.Ordinal) ||
            !long.TryParse(rest[0].AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            return "damaged: its manifest is cut short or garbled";
        }

        try
        {
            if (new FileInfo(dataPath) is not { Exists: true } data)
            {
                return "damaged: its graph file is missing";
            }

            if (data.Length != length)
            {
                return $"damaged: its graph file holds {data.Length} bytes, not {length}";
            }

            return string.Equals(Checksum(dataPath).Checksum, rest[1][7..], StringComparison.Ordinal)
                ? null
                : "damaged: its graph file's checksum differs from the manifest's";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"damaged: its graph file cannot be read: {e.Message}";
        }
    }

    private static string Header(string fullModelPath, byte[] modelSha256) =>
        string.Create(CultureInfo.InvariantCulture, $"{Magic}\nmodel {fullModelPath}\nmodel-sha256 {Convert.ToHexStringLower(modelSha256)}\nruntime {OrtEnv.Instance().GetVersionString()}\ncpu {CpuIdentity()}\nlevel {Level}\n");

    // The instruction sets ONNX Runtime picks its kernels (and the optimised graph's blocked layouts) by.
    private static string CpuIdentity()
    {
        var sets = new StringBuilder(RuntimeInformation.ProcessArchitecture.ToString());
        void Add(bool supported, string name)
        {
            if (supported)
            {
                sets.Append(' ').Append(name);
            }
        }

        Add(Avx.IsSupported, "avx");
        Add(Avx2.IsSupported, "avx2");
        Add(Fma.IsSupported, "fma");
        Add(Avx512F.IsSupported, "avx512f");
        Add(Avx512BW.IsSupported, "avx512bw");
        Add(Avx512Vbmi.IsSupported, "avx512vbmi");
        Add(AvxVnni.IsSupported, "avxvnni");
        Add(System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported, "advsimd");
        Add(System.Runtime.Intrinsics.Arm.Dp.IsSupported, "dotprod");
        return sets.ToString();
    }

    // Read in 1 MiB blocks into one pooled buffer; the checksum is the XxHash128 of the blocks' XxHash128s (the one-shot
    // hash of a block is several times faster than the incremental hasher fed the same bytes: ~15 ms for 64 MB).
    private static (long Length, string Checksum) Checksum(string path)
    {
        var hash = new XxHash128();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
            long offset = 0;
            int read;
            while ((read = RandomAccess.Read(file, buffer, offset)) > 0)
            {
                hash.Append(XxHash128.Hash(buffer.AsSpan(0, read)));
                offset += read;
            }

            return (offset, Convert.ToHexStringLower(hash.GetCurrentHash()));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A leftover temporary file is harmless: the next build writes under a new name.
        }
    }
}
