using Needle.Matching.Compiled;
using Needle.Matching.Lists;

namespace Needle.Cli.Infrastructure;

/// <summary>The compiled lists (<c>.ndl</c>) a command opened; disposing unmaps them.</summary>
internal sealed class CompiledLists : IDisposable
{
    private readonly List<CompiledListFile> _files = [];

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
        foreach (var file in _files)
        {
            file.Dispose();
        }
    }
}
