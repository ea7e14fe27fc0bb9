using Needle.Matching.Compiled;
using Needle.Matching.Lists;

namespace Needle.Cli.Infrastructure;

/// <summary>The compiled lists (<c>.ndl</c>) a command opened; disposing unmaps them.</summary>
internal sealed class CompiledLists : IDisposable
{
    private readonly List<CompiledListFile> _files = [];
    private CompiledListBuilder? _builder;
    private string? _temporary;

    public IReadOnlyList<CompiledListFile> Files => _files;

    /// <summary>Entries over all the files.</summary>
    public long EntryCount => _files.Sum(f => f.EntryCount);

    /// <summary>Whether <paramref name="resolved"/> is to be opened as a compiled list: named <c>.ndl</c> or starting as one.</summary>
    public static bool IsCompiled(string resolved) =>
        File.Exists(resolved) && (resolved.EndsWith(".ndl", StringComparison.OrdinalIgnoreCase) || CompiledListFile.HasCompiledHeader(resolved));

    /// <summary>
    /// Opens a compiled list (memory-mapped; nothing is read into memory); <paramref name="kind"/>, when given, replaces
    /// the kinds stored in it. False after writing <c>error: FILE: section 'S': problem</c>.
    /// </summary>
    public bool TryOpen(string path, string resolved, HashListKind? kind, CliContext context)
    {
        try
        {
            _files.Add(CompiledListFile.Open(resolved, kind));
            return true;
        }
        catch (CompiledListFormatException ex)
        {
            context.Error.WriteLine($"error: {path}: section '{ex.Section}': {ProblemOf(ex)}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            context.Error.WriteLine($"error: {path}: {ex.Message}");
        }

        return false;
    }

    /// <summary>
    /// Adds a text list: compiled, as it is read, into a temporary compiled list (so only its columns stay in memory
    /// and details stay on disk), or, when it holds entries a compiled list cannot (vPDQ, robust), loaded into
    /// <paramref name="lists"/>. False after writing an error. Call <see cref="TryFinishText"/> after the last one.
    /// </summary>
    public bool TryAddText(string file, HashListKind kind, string? formatName, bool skipInvalid, CliContext context, List<HashList> lists)
    {
        _builder ??= new CompiledListBuilder(Path.GetTempPath());
        if (!ListFiles.TryCompile(_builder, file, kind, formatName, context, skipInvalid, out var compiled))
        {
            return false;
        }

        if (compiled)
        {
            return true;
        }

        var list = ListFiles.Load(file, kind, formatName, context, skipInvalid, Path.GetTempPath());
        if (list is null)
        {
            return false;
        }

        lists.Add(list);
        return true;
    }

    /// <summary>
    /// Writes the text lists added so far to the temporary compiled list and opens it ahead of the other compiled
    /// files (text lists come first, as when they were loaded). False after writing an error.
    /// </summary>
    public bool TryFinishText(CliContext context)
    {
        if (_builder is null)
        {
            return true;
        }

        using var builder = _builder;
        _builder = null;
        if (builder.ListCount == 0)
        {
            return true;
        }

        var temporary = Path.Combine(Path.GetTempPath(), $"needle-scan-{Guid.NewGuid():N}.ndl");
        try
        {
            builder.Write(temporary, flushToDisk: false);
            _files.Insert(0, CompiledListFile.Open(temporary));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CompiledListFormatException)
        {
            File.Delete(temporary);
            context.Error.WriteLine($"error: cannot write the temporary compiled list {temporary}: {ex.Message}");
            return false;
        }

        // The columns built are garbage now: give their memory back before the scan starts.
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        try
        {
            // Mapped, the file stays readable after it is unlinked (POSIX); elsewhere it goes on dispose.
            File.Delete(temporary);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _temporary = temporary;
        }

        return true;
    }

    /// <summary>The compiled-list refusal inside <paramref name="exception"/> (a damaged section found while matching), if any.</summary>
    public static CompiledListFormatException? RefusalIn(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is CompiledListFormatException refusal)
            {
                return refusal;
            }
        }

        return null;
    }

    /// <summary>The message without the file and section it starts with.</summary>
    public static string ProblemOf(CompiledListFormatException refusal)
    {
        var prefix = $"{refusal.FilePath}: section '{refusal.Section}': ";
        return refusal.Message.StartsWith(prefix, StringComparison.Ordinal) ? refusal.Message[prefix.Length..] : refusal.Message;
    }

    public void Dispose()
    {
        _builder?.Dispose();
        foreach (var file in _files)
        {
            file.Dispose();
        }

        if (_temporary is not null)
        {
            File.Delete(_temporary);
        }
    }
}
