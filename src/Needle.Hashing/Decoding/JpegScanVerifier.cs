using System.Buffers.Binary;

namespace Needle.Hashing.Decoding;

/// <summary>
/// Proves that a JPEG's entropy-coded data covers the whole image, without decoding pixels: it walks the markers,
/// reads the Huffman tables and parses every scan's codes (no dequantisation, no IDCT) counting the blocks, and checks
/// that the scans bring every coefficient of every component to full precision.
/// </summary>
/// <remarks>
/// libjpeg fills the rest of an image with grey when a scan's data ends early at a marker (a file cut and given an
/// <c>FF D9</c> end marker): the codec reports success and the hash is silently wrong. This parse finds the point where
/// the data runs out. It only ever reports <see cref="JpegScanCoverage.Truncated"/> when the codes need bits that are not
/// there, or when scans are missing; anything it does not understand (arithmetic coding, lossless, damaged codes that
/// libjpeg would skip) is <see cref="JpegScanCoverage.NotChecked"/>, never a refusal.
/// </remarks>
internal sealed class JpegScanVerifier
{
    private readonly ReadOnlyMemory<byte> _data;
    private readonly DecodeGuard _guard;
    private readonly HuffmanTable?[] _dcTables = new HuffmanTable?[4];
    private readonly HuffmanTable?[] _acTables = new HuffmanTable?[4];
    private Frame? _frame;
    private int _restartInterval;

    private JpegScanVerifier(ReadOnlyMemory<byte> data, DecodeGuard guard)
    {
        _data = data;
        _guard = guard;
    }

    /// <summary>Checks <paramref name="data"/> (a whole JPEG file); <paramref name="detail"/> says what is missing when truncated.</summary>
    public static JpegScanCoverage Verify(ReadOnlyMemory<byte> data, DecodeGuard guard, out string? detail) =>
        new JpegScanVerifier(data, guard).Run(out detail);

    private JpegScanCoverage Run(out string? detail)
    {
        detail = null;
        var span = _data.Span;
        if (span.Length < 4 || span[0] != 0xFF || span[1] != 0xD8)
        {
            return JpegScanCoverage.NotChecked;
        }

        var position = 2;
        var sawScan = false;
        while (true)
        {
            // Find the next marker (fill bytes FF FF ... allowed).
            if (position >= span.Length)
            {
                return Finish(sawScan, endMarker: false, out detail);
            }

            if (span[position] != 0xFF)
            {
                return JpegScanCoverage.NotChecked; // Garbage between segments: libjpeg resyncs; not ours to judge.
            }

            while (position < span.Length && span[position] == 0xFF)
            {
                position++;
            }

            if (position >= span.Length)
            {
                return Finish(sawScan, endMarker: false, out detail);
            }

            var marker = span[position++];
            if (marker == 0xD9)
            {
                return Finish(sawScan, endMarker: true, out detail);
            }

            if (marker is >= 0xD0 and <= 0xD7 or 0x01)
            {
                continue; // Stand-alone markers.
            }

            if (position + 2 > span.Length)
            {
                detail = "data ends inside a marker segment";
                return JpegScanCoverage.Truncated;
            }

            var length = BinaryPrimitives.ReadUInt16BigEndian(span[position..]);
            if (length < 2)
            {
                return JpegScanCoverage.NotChecked;
            }

            if (position + length > span.Length)
            {
                detail = $"marker segment declares {length} bytes but only {span.Length - position} remain";
                return JpegScanCoverage.Truncated;
            }

            var segment = span.Slice(position + 2, length - 2);
            position += length;
            switch (marker)
            {
                case 0xC0 or 0xC1 or 0xC2:
                    if (_frame is not null || !TryReadFrame(segment, progressive: marker == 0xC2))
                    {
                        return JpegScanCoverage.NotChecked;
                    }

                    break;
                case >= 0xC3 and <= 0xCF when marker is not 0xC4 and not 0xC8 and not 0xCC:
                    return JpegScanCoverage.NotChecked; // Lossless, hierarchical or arithmetic: not parsed here.
                case 0xC4:
                    if (!TryReadHuffmanTables(segment))
                    {
                        return JpegScanCoverage.NotChecked;
                    }

                    break;
                case 0xDD:
                    if (segment.Length < 2)
                    {
                        return JpegScanCoverage.NotChecked;
                    }

                    _restartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                    break;
                case 0xDA:
                    if (_frame is null)
                    {
                        return JpegScanCoverage.NotChecked;
                    }

                    sawScan = true;
                    var result = ParseScan(segment, position, out var scanEnd, out detail);
                    if (result != ScanResult.Complete)
                    {
                        return result == ScanResult.OutOfData ? JpegScanCoverage.Truncated : JpegScanCoverage.NotChecked;
                    }

                    position = scanEnd;
                    break;
                default:
                    break;
            }
        }
    }

    private JpegScanCoverage Finish(bool sawScan, bool endMarker, out string? detail)
    {
        detail = null;
        if (_frame is null || !sawScan)
        {
            detail = "data ends before the first scan";
            return JpegScanCoverage.Truncated;
        }

        foreach (var component in _frame.Components)
        {
            for (var k = 0; k < 64; k++)
            {
                if (component.Precision[k] != 0)
                {
                    detail = _frame.Progressive
                        ? $"progressive data ends {(endMarker ? "at an end marker " : "")}before its last scan"
                        : $"data ends {(endMarker ? "at an end marker " : "")}before every component was coded";
                    return JpegScanCoverage.Truncated;
                }
            }
        }

        return JpegScanCoverage.Complete;
    }

    private bool TryReadFrame(ReadOnlySpan<byte> segment, bool progressive)
    {
        if (segment.Length < 6)
        {
            return false;
        }

        int height = BinaryPrimitives.ReadUInt16BigEndian(segment[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(segment[3..]);
        int count = segment[5];
        if (width == 0 || height == 0 || count is 0 or > 4 || segment.Length < 6 + (3 * count))
        {
            return false; // Height 0 (DNL) and other oddities: leave them to the codec.
        }

        var components = new Component[count];
        int hMax = 1, vMax = 1;
        for (var i = 0; i < count; i++)
        {
            var c = segment.Slice(6 + (3 * i), 3);
            var h = c[1] >> 4;
            var v = c[1] & 15;
            if (h is < 1 or > 4 || v is < 1 or > 4)
            {
                return false;
            }

            components[i] = new Component(c[0], h, v);
            hMax = Math.Max(hMax, h);
            vMax = Math.Max(vMax, v);
        }

        foreach (var component in components)
        {
            // Blocks of the component's own plane (non-interleaved scans) and padded to whole MCUs (interleaved).
            var compWidth = (int)Math.Ceiling(width * (double)component.H / hMax);
            var compHeight = (int)Math.Ceiling(height * (double)component.V / vMax);
            component.BlocksWide = (compWidth + 7) / 8;
            component.BlocksHigh = (compHeight + 7) / 8;
            component.StrideBlocks = ((width + (8 * hMax) - 1) / (8 * hMax)) * component.H;
            if (progressive)
            {
                var paddedHigh = ((height + (8 * vMax) - 1) / (8 * vMax)) * component.V;
                component.NonZero = new ulong[(long)component.StrideBlocks * paddedHigh];
            }
        }

        _frame = new Frame(width, height, hMax, vMax, progressive, components);
        return true;
    }

    private bool TryReadHuffmanTables(ReadOnlySpan<byte> segment)
    {
        while (segment.Length > 0)
        {
            if (segment.Length < 17)
            {
                return false;
            }

            var tableClass = segment[0] >> 4;
            var id = segment[0] & 15;
            if (tableClass > 1 || id > 3)
            {
                return false;
            }

            var counts = segment.Slice(1, 16);
            var total = 0;
            foreach (var n in counts)
            {
                total += n;
            }

            if (total > 256 || segment.Length < 17 + total)
            {
                return false;
            }

            var table = HuffmanTable.Create(counts, segment.Slice(17, total));
            if (tableClass == 0)
            {
                _dcTables[id] = table;
            }
            else
            {
                _acTables[id] = table;
            }

            segment = segment[(17 + total)..];
        }

        return true;
    }

    private ScanResult ParseScan(ReadOnlySpan<byte> header, int dataStart, out int scanEnd, out string? detail)
    {
        scanEnd = dataStart;
        detail = null;
        var frame = _frame!;
        if (header.Length < 1)
        {
            return ScanResult.NotChecked;
        }

        int count = header[0];
        if (count is < 1 or > 4 || header.Length < 1 + (2 * count) + 3)
        {
            return ScanResult.NotChecked;
        }

        var scan = new ScanComponent[count];
        for (var i = 0; i < count; i++)
        {
            var id = header[1 + (2 * i)];
            var tables = header[2 + (2 * i)];
            var component = Array.Find(frame.Components, c => c.Id == id);
            if (component is null)
            {
                return ScanResult.NotChecked;
            }

            scan[i] = new ScanComponent(component, _dcTables[tables >> 4], _acTables[tables & 15]);
        }

        var tail = header.Slice(1 + (2 * count), 3);
        int ss = tail[0], se = tail[1], ah = tail[2] >> 4, al = tail[2] & 15;
        if (!frame.Progressive)
        {
            ss = 0;
            se = 63;
            ah = 0;
            al = 0;
        }

        if (ss > se || se > 63 || (frame.Progressive && ((ss == 0 && se != 0) || (ss > 0 && count != 1))))
        {
            return ScanResult.NotChecked;
        }

        foreach (var s in scan)
        {
            var needDc = ss == 0 && ah == 0;
            var needAc = se > 0;
            if ((needDc && s.Dc is null) || (needAc && s.Ac is null))
            {
                return ScanResult.NotChecked;
            }
        }

        var reader = new BitReader(_data.Span, dataStart);
        var state = new ScanState(scan, ss, se, ah, al);
        var result = ParseMcus(ref reader, state, frame);
        scanEnd = reader.NextMarkerPosition();
        if (result == ScanResult.OutOfData)
        {
            detail = $"data ends {(reader.EndedAtEndMarker ? "at an end marker " : "")}inside the image data ({state.BlocksDone:N0} of {state.BlocksTotal:N0} blocks of a scan present)";
            return result;
        }

        if (result == ScanResult.Complete)
        {
            foreach (var s in scan)
            {
                for (var k = ss; k <= se; k++)
                {
                    s.Component.Precision[k] = al;
                }
            }
        }

        return result;
    }

    private ScanResult ParseMcus(ref BitReader reader, ScanState state, Frame frame)
    {
        var scan = state.Components;
        int mcusWide, mcusHigh;
        if (scan.Length == 1)
        {
            mcusWide = scan[0].Component.BlocksWide;
            mcusHigh = scan[0].Component.BlocksHigh;
        }
        else
        {
            mcusWide = (frame.Width + (8 * frame.HMax) - 1) / (8 * frame.HMax);
            mcusHigh = (frame.Height + (8 * frame.VMax) - 1) / (8 * frame.VMax);
        }

        var blocksPerMcu = 0;
        foreach (var s in scan)
        {
            blocksPerMcu += scan.Length == 1 ? 1 : s.Component.H * s.Component.V;
        }

        state.BlocksTotal = (long)mcusWide * mcusHigh * blocksPerMcu;
        var mcusToRestart = _restartInterval;
        for (var my = 0; my < mcusHigh; my++)
        {
            if (_guard.ShouldStop())
            {
                return ScanResult.NotChecked; // The caller reports the time-out or cancellation.
            }

            for (var mx = 0; mx < mcusWide; mx++)
            {
                if (_restartInterval > 0)
                {
                    if (mcusToRestart == 0)
                    {
                        if (!reader.TryRestart())
                        {
                            return reader.AtEnd ? ScanResult.OutOfData : ScanResult.NotChecked;
                        }

                        state.ResetPredictions();
                        mcusToRestart = _restartInterval;
                    }

                    mcusToRestart--;
                }

                if (scan.Length == 1)
                {
                    var s = scan[0];
                    var result = ParseBlock(ref reader, state, s, (my * s.Component.StrideBlocks) + mx);
                    if (result != ScanResult.Complete)
                    {
                        return result;
                    }

                    state.BlocksDone++;
                    continue;
                }

                foreach (var s in scan)
                {
                    var c = s.Component;
                    for (var v = 0; v < c.V; v++)
                    {
                        for (var h = 0; h < c.H; h++)
                        {
                            var block = (((my * c.V) + v) * c.StrideBlocks) + (mx * c.H) + h;
                            var result = ParseBlock(ref reader, state, s, block);
                            if (result != ScanResult.Complete)
                            {
                                return result;
                            }

                            state.BlocksDone++;
                        }
                    }
                }
            }
        }

        return ScanResult.Complete;
    }

    private static ScanResult ParseBlock(ref BitReader reader, ScanState state, ScanComponent s, int block)
    {
        var ss = state.Ss;
        var se = state.Se;
        if (ss == 0)
        {
            // DC (sequential blocks, and progressive DC scans, which have no AC part).
            if (state.Ah == 0)
            {
                var r = reader.TryDecode(s.Dc!, out var size);
                if (r != ScanResult.Complete)
                {
                    return r;
                }

                if (size > 16)
                {
                    return ScanResult.NotChecked;
                }

                if (!reader.TrySkip(size))
                {
                    return ScanResult.OutOfData;
                }
            }
            else if (!reader.TrySkip(1))
            {
                return ScanResult.OutOfData;
            }

            if (se == 0)
            {
                return ScanResult.Complete;
            }

            ss = 1;
        }

        var nonZero = s.Component.NonZero;
        if (nonZero is null)
        {
            // Sequential AC: run-length codes until EOB or the last coefficient.
            for (var k = ss; k <= se; k++)
            {
                var r = reader.TryDecode(s.Ac!, out var rs);
                if (r != ScanResult.Complete)
                {
                    return r;
                }

                var run = rs >> 4;
                var size = rs & 15;
                if (size == 0)
                {
                    if (run != 15)
                    {
                        break;
                    }

                    k += 15;
                    continue;
                }

                k += run;
                if (!reader.TrySkip(size))
                {
                    return ScanResult.OutOfData;
                }
            }

            return ScanResult.Complete;
        }

        if ((long)block >= nonZero.Length)
        {
            return ScanResult.NotChecked;
        }

        return state.Ah == 0 ? ParseAcFirst(ref reader, state, s, nonZero, block, ss, se) : ParseAcRefine(ref reader, state, s, nonZero, block, ss, se);
    }

    private static ScanResult ParseAcFirst(ref BitReader reader, ScanState state, ScanComponent s, ulong[] nonZero, int block, int ss, int se)
    {
        if (state.EobRun > 0)
        {
            state.EobRun--;
            return ScanResult.Complete;
        }

        for (var k = ss; k <= se; k++)
        {
            var r = reader.TryDecode(s.Ac!, out var rs);
            if (r != ScanResult.Complete)
            {
                return r;
            }

            var run = rs >> 4;
            var size = rs & 15;
            if (size != 0)
            {
                k += run;
                if (k > 63)
                {
                    return ScanResult.NotChecked;
                }

                if (!reader.TrySkip(size))
                {
                    return ScanResult.OutOfData;
                }

                nonZero[block] |= 1UL << k;
            }
            else if (run == 15)
            {
                k += 15;
            }
            else
            {
                var eobRun = 1 << run;
                if (run > 0)
                {
                    if (!reader.TryRead(run, out var extra))
                    {
                        return ScanResult.OutOfData;
                    }

                    eobRun += extra;
                }

                state.EobRun = eobRun - 1;
                break;
            }
        }

        return ScanResult.Complete;
    }

    private static ScanResult ParseAcRefine(ref BitReader reader, ScanState state, ScanComponent s, ulong[] nonZero, int block, int ss, int se)
    {
        var k = ss;
        var mask = nonZero[block];
        if (state.EobRun == 0)
        {
            for (; k <= se; k++)
            {
                var r = reader.TryDecode(s.Ac!, out var rs);
                if (r != ScanResult.Complete)
                {
                    return r;
                }

                var run = rs >> 4;
                var size = rs & 15;
                if (size != 0)
                {
                    if (!reader.TrySkip(1))
                    {
                        return ScanResult.OutOfData;
                    }
                }
                else if (run != 15)
                {
                    var eobRun = 1 << run;
                    if (run > 0)
                    {
                        if (!reader.TryRead(run, out var extra))
                        {
                            return ScanResult.OutOfData;
                        }

                        eobRun += extra;
                    }

                    state.EobRun = eobRun;
                    break;
                }

                // Correction bits for coefficients already non-zero; skip `run` zero ones to the new coefficient.
                do
                {
                    if ((mask & (1UL << k)) != 0)
                    {
                        if (!reader.TrySkip(1))
                        {
                            return ScanResult.OutOfData;
                        }
                    }
                    else if (--run < 0)
                    {
                        break;
                    }

                    k++;
                }
                while (k <= se);

                if (size != 0)
                {
                    if (k > 63)
                    {
                        return ScanResult.NotChecked;
                    }

                    mask |= 1UL << k;
                }
            }
        }

        if (state.EobRun > 0)
        {
            for (; k <= se; k++)
            {
                if ((mask & (1UL << k)) != 0 && !reader.TrySkip(1))
                {
                    return ScanResult.OutOfData;
                }
            }

            state.EobRun--;
        }

        nonZero[block] = mask;
        return ScanResult.Complete;
    }

    private enum ScanResult
    {
        Complete,
        OutOfData,
        NotChecked,
    }

    private sealed record Frame(int Width, int Height, int HMax, int VMax, bool Progressive, Component[] Components);

    private sealed class Component(int id, int h, int v)
    {
        public int Id { get; } = id;

        public int H { get; } = h;

        public int V { get; } = v;

        public int BlocksWide { get; set; }

        public int BlocksHigh { get; set; }

        public int StrideBlocks { get; set; }

        /// <summary>Per block, which coefficients (zig-zag index) are non-zero so far (progressive only).</summary>
        public ulong[]? NonZero { get; set; }

        /// <summary>Per coefficient, the lowest bit position coded so far (-1: not yet; 0: full precision).</summary>
        public int[] Precision { get; } = Enumerable.Repeat(-1, 64).ToArray();
    }

    private sealed record ScanComponent(Component Component, HuffmanTable? Dc, HuffmanTable? Ac);

    private sealed class ScanState(ScanComponent[] components, int ss, int se, int ah, int al)
    {
        public ScanComponent[] Components { get; } = components;

        public int Ss { get; } = ss;

        public int Se { get; } = se;

        public int Ah { get; } = ah;

        public int Al { get; } = al;

        public int EobRun { get; set; }

        public long BlocksDone { get; set; }

        public long BlocksTotal { get; set; }

        public void ResetPredictions() => EobRun = 0;
    }

    /// <summary>A canonical Huffman table as libjpeg builds it: the largest code of each length and where its values start.</summary>
    private sealed class HuffmanTable
    {
        private readonly int[] _maxCode = new int[18];
        private readonly int[] _valueOffset = new int[17];
        private readonly byte[] _values;

        private HuffmanTable(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values)
        {
            _values = values.ToArray();
            Array.Fill(Fast, (short)-1);
            var code = 0;
            var index = 0;
            for (var length = 1; length <= 16; length++)
            {
                int n = counts[length - 1];
                _valueOffset[length] = index - code;
                for (var i = 0; i < n && length <= FastBits; i++)
                {
                    // Every 8-bit window that starts with this code decodes to it.
                    var first = (code + i) << (FastBits - length);
                    var value = index + i < _values.Length ? _values[index + i] : 0;
                    for (var w = 0; w < 1 << (FastBits - length) && first + w < Fast.Length; w++)
                    {
                        Fast[first + w] = (short)((length << 8) | value);
                    }
                }

                code += n;
                index += n;
                _maxCode[length] = n > 0 ? code - 1 : -1;
                code <<= 1;
            }

            _maxCode[17] = int.MaxValue;
        }

        /// <summary>Bits looked up at once.</summary>
        public const int FastBits = 8;

        /// <summary>For each 8-bit window, (code length &lt;&lt; 8) | value of a code of at most 8 bits; -1 for longer codes.</summary>
        public short[] Fast { get; } = new short[1 << FastBits];

        public static HuffmanTable Create(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values) => new(counts, values);

        /// <summary>The value of <paramref name="code"/> of <paramref name="length"/> bits, or -1 when no code that long matches yet.</summary>
        public int Lookup(int code, int length)
        {
            if (code > _maxCode[length])
            {
                return -1;
            }

            var index = code + _valueOffset[length];
            return (uint)index < (uint)_values.Length ? _values[index] : -2;
        }
    }

    /// <summary>Reads entropy-coded bits: stuffed <c>FF 00</c> is one <c>FF</c> byte; any other marker ends the data.</summary>
    private ref struct BitReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private int _position;
        private ulong _bits;
        private int _count;
        private bool _hitMarker;

        public BitReader(ReadOnlySpan<byte> data, int position)
        {
            _data = data;
            _position = position;
        }

        /// <summary>Whether the data ran out (at a marker or the end of the file).</summary>
        public readonly bool AtEnd => _hitMarker || _position >= _data.Length;

        /// <summary>Whether the data ended at an EOI marker.</summary>
        public readonly bool EndedAtEndMarker
        {
            get
            {
                var p = _position;
                while (p < _data.Length && _data[p] == 0xFF)
                {
                    p++;
                }

                return _hitMarker && p < _data.Length && _data[p] == 0xD9;
            }
        }

        public ScanResult TryDecode(HuffmanTable table, out int value)
        {
            // Fast path: look the next 8 bits up (zeros past the end of the data only pad the window; a code that
            // needs bits that are not there is caught by the length check).
            while (_count < 16 && TryFillByte())
            {
            }

            if (_count > 0)
            {
                var window = _count >= HuffmanTable.FastBits
                    ? (int)(_bits >> (_count - HuffmanTable.FastBits)) & 0xFF
                    : (int)(_bits << (HuffmanTable.FastBits - _count)) & 0xFF;
                var entry = table.Fast[window];
                if (entry >= 0)
                {
                    var length = entry >> 8;
                    if (length > _count)
                    {
                        value = 0;
                        return ScanResult.OutOfData;
                    }

                    _count -= length;
                    value = entry & 0xFF;
                    return ScanResult.Complete;
                }
            }

            var code = 0;
            for (var length = 1; length <= 16; length++)
            {
                if (!TryRead(1, out var bit))
                {
                    value = 0;
                    return ScanResult.OutOfData;
                }

                code = (code << 1) | bit;
                var found = table.Lookup(code, length);
                if (found >= 0)
                {
                    value = found;
                    return ScanResult.Complete;
                }

                if (found == -2)
                {
                    break;
                }
            }

            value = 0;
            return ScanResult.NotChecked; // A bad code: libjpeg warns and carries on; not a truncation.
        }

        public bool TrySkip(int count) => count == 0 || TryRead(count, out _);

        public bool TryRead(int count, out int value)
        {
            while (_count < count)
            {
                if (!TryFillByte())
                {
                    value = 0;
                    return false;
                }
            }

            _count -= count;
            value = (int)((_bits >> _count) & ((1UL << count) - 1));
            return true;
        }

        /// <summary>At a restart boundary: drops the partial byte and expects an RSTn marker.</summary>
        public bool TryRestart()
        {
            _count = 0;
            _bits = 0;
            var p = _position;
            if (p + 1 < _data.Length && _data[p] == 0xFF)
            {
                while (p < _data.Length && _data[p] == 0xFF)
                {
                    p++;
                }

                if (p < _data.Length && _data[p] is >= 0xD0 and <= 0xD7)
                {
                    _position = p + 1;
                    _hitMarker = false;
                    return true;
                }

                _hitMarker = true;
            }

            return false;
        }

        /// <summary>Where the marker that ends this scan's data starts (or the end of the data).</summary>
        public readonly int NextMarkerPosition()
        {
            var p = _position;
            while (p + 1 < _data.Length)
            {
                if (_data[p] == 0xFF)
                {
                    var q = p + 1;
                    while (q < _data.Length && _data[q] == 0xFF)
                    {
                        q++;
                    }

                    if (q >= _data.Length)
                    {
                        return _data.Length;
                    }

                    if (_data[q] != 0 && _data[q] is not (>= 0xD0 and <= 0xD7))
                    {
                        return p;
                    }

                    p = q + 1;
                    continue;
                }

                p++;
            }

            return _data.Length;
        }

        private bool TryFillByte()
        {
            if (_hitMarker || _position >= _data.Length)
            {
                return false;
            }

            var b = _data[_position];
            if (b == 0xFF)
            {
                var p = _position + 1;
                while (p < _data.Length && _data[p] == 0xFF)
                {
                    p++;
                }

                if (p >= _data.Length || _data[p] != 0)
                {
                    _hitMarker = true; // A marker (or the end): the entropy-coded data stops here.
                    return false;
                }

                _position = p + 1;
            }
            else
            {
                _position++;
            }

            _bits = (_bits << 8) | b;
            _count += 8;
            return true;
        }
    }
}

/// <summary>What <see cref="JpegScanVerifier"/> found.</summary>
internal enum JpegScanCoverage
{
    /// <summary>Every block of every scan is present and the scans code every coefficient fully.</summary>
    Complete,

    /// <summary>The data ends before the image is complete.</summary>
    Truncated,

    /// <summary>Not a baseline, extended or progressive Huffman JPEG this parser follows, or damaged in a way libjpeg tolerates.</summary>
    NotChecked,
}
