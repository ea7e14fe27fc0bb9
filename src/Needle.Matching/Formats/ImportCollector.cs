using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>
/// Gathers one import: records are atomic (an invalid field voids its whole record, so a half-read item never lands
/// in a list), errors are counted, and <see cref="Finish"/> enforces all-or-nothing unless SkipInvalid.
/// </summary>
internal sealed class ImportCollector
{
    private readonly string _formatName;
    private readonly ImportOptions _options;
    private readonly List<ImportError> _errors = [];
    private readonly List<HashListEntry> _pending = [];
    private readonly List<ImportError> _warnings = [];
    private readonly List<ImportTombstone> _tombstones = [];
    private readonly List<int> _entryRecords = [];
    private int _errorCount;
    private int _warningCount;
    private int _record;
    private bool _recordFailed;
    private int _recordsRead;
    private ImportRow? _row;

    public ImportCollector(string formatName, ImportOptions options, string? nameFromFile = null, HashListKind? kindFromFile = null)
    {
        _formatName = formatName;
        _options = options;
        DefaultSource = options.FileName is { } fileName ? Path.GetFileName(fileName) : null;
        var name = options.ListName ?? nameFromFile ?? (options.FileName is { } file ? Path.GetFileNameWithoutExtension(file) : null);
        List = new HashList(string.IsNullOrWhiteSpace(name) ? "list" : name, options.Kind ?? kindFromFile ?? HashListKind.Known, options.DetailDirectory);
    }

    public HashList List { get; private set; }

    public ImportOptions Options => _options;

    public string? DefaultSource { get; }

    /// <summary>Replaces the list before any entry is added (the native format learns name and kind from its header).</summary>
    public void ReplaceList(HashList list) => List = list;

    public void BeginRecord(int record)
    {
        _record = record;
        _recordFailed = false;
        _pending.Clear();
        _recordsRead++;
        if (_options.Progress is { } progress && _recordsRead % _options.ProgressInterval == 0)
        {
            progress(_recordsRead, _errorCount);
        }
    }

    public void Error(string? field, string reason)
    {
        _recordFailed = true;
        _errorCount++;
        if (_errors.Count < _options.MaxErrorsKept)
        {
            _errors.Add(new ImportError(_record, field, reason));
        }
    }

    /// <summary>A value skipped because it can never match: a warning, not an error (the rest of the record stays).</summary>
    public void Skip(string? field, string reason)
    {
        _warningCount++;
        if (_warnings.Count < _options.MaxErrorsKept)
        {
            _warnings.Add(new ImportError(_record, field, reason));
        }
    }

    /// <summary>
    /// Validates a value and queues an entry for it; records an error and returns false when invalid, or a warning
    /// and false when the value can never match (<see cref="SignalType.CanNeverMatch"/>).
    /// </summary>
    public bool AddHash(SignalType type, string? value, string field, Func<SignalType, string, HashListEntry> create)
    {
        if (!TryNormalize(type, value, field, out var normalized))
        {
            return false;
        }

        _pending.Add(create(type, normalized));
        return true;
    }

    /// <summary>
    /// The checks of <see cref="AddHash"/> without the entry: the normalized value, or false with the error or warning
    /// recorded (for readers that build the entry themselves, from characters not yet a string).
    /// </summary>
    public bool TryNormalize(SignalType type, ReadOnlySpan<char> value, string field, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? normalized)
    {
        normalized = null;
        if (value.IsWhiteSpace())
        {
            Error(field, "is empty");
            return false;
        }

        if (type.CanNeverMatch(value, out var why))
        {
            Skip(field, why);
            return false;
        }

        if (!type.TryNormalize(value, out normalized, out var reason))
        {
            Error(field, reason);
            return false;
        }

        return true;
    }

    public void Add(HashListEntry entry) => _pending.Add(entry);

    /// <summary>A whole valid record read straight into a row (<see cref="ImportOptions.RowSink"/> is set): handed on at once.</summary>
    public void AddRow(ImportRow row) => _options.RowSink!(row);

    /// <summary>
    /// An invalid value that voids only itself, not its record (one bad fingerprint of an NCMEC item: its other hashes
    /// stay). Counted as an error like <see cref="Error"/>, so a strict import still fails.
    /// </summary>
    public void ValueError(string? field, string reason)
    {
        var failed = _recordFailed;
        Error(field, reason);
        _recordFailed = failed;
    }

    /// <summary>Records that the source says an item is gone.</summary>
    public void Tombstone(SignalType? type, string? value, string? label) => _tombstones.Add(new ImportTombstone(_record, type, value, label));

    /// <summary>The paging read from a provider's response, set on the result.</summary>
    public FeedPosition? Feed { get; set; }

    public void EndRecord()
    {
        if (!_recordFailed && _options.EntrySink is { } sink)
        {
            foreach (var entry in _pending)
            {
                sink(List, entry);
            }
        }
        else if (!_recordFailed && _options.RowSink is { } rows)
        {
            foreach (var entry in _pending)
            {
                (_row ??= new ImportRow()).Set(entry);
                rows(_row);
            }
        }
        else if (!_recordFailed)
        {
            foreach (var entry in _pending)
            {
                try
                {
                    List.Add(entry);
                    _entryRecords.Add(_record);
                }
                catch (ArgumentException e)
                {
                    // Duplicate explicit id (native format).
                    Error("id", e.Message);
                }
            }
        }

        _pending.Clear();
    }

    /// <summary>A fatal problem with the file as a whole (broken JSON, bad encoding): never skippable.</summary>
    public HashListFormatException Fatal(string reason, Exception? inner = null) =>
        new(_options.FileName, [new ImportError(Math.Max(_record, 1), null, reason)], 1, inner);

    public ImportResult Finish()
    {
        if (_errorCount > 0 && !_options.SkipInvalid)
        {
            var shown = _errors.Count <= _options.MaxErrorsInMessage ? _errors : _errors.GetRange(0, _options.MaxErrorsInMessage);
            throw new HashListFormatException(_options.FileName, shown.ToArray(), _errorCount, null);
        }

        return new ImportResult(_formatName, List, _errors.ToArray(), _recordsRead, _errorCount)
        {
            Warnings = _warnings.ToArray(),
            WarningCount = _warningCount,
            Tombstones = _tombstones.ToArray(),
            EntryRecords = _entryRecords.ToArray(),
            Feed = Feed,
        };
    }
}
