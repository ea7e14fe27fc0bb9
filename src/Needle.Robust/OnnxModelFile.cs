namespace Needle.Robust;

/// <summary>
/// What an ONNX model file declares, read without loading it: its graph's inputs (the initializers, which older files
/// also list as inputs, left out, as ONNX Runtime does) and outputs with their shapes. The weights are skipped by
/// seeking, so reading a 45 MB model touches a few kilobytes: the start-up check that the model file is one, before
/// ONNX Runtime loads it on first need.
/// </summary>
internal sealed class OnnxModelFile
{
    // Protocol buffer field numbers of onnx.proto.
    private const int ModelGraph = 7;
    private const int GraphInitializer = 5;
    private const int GraphInput = 11;
    private const int GraphOutput = 12;
    private const int TensorName = 8;
    private const int ValueInfoName = 1;
    private const int ValueInfoType = 2;
    private const int TypeTensor = 1;
    private const int TensorTypeShape = 2;
    private const int ShapeDimension = 1;
    private const int DimensionValue = 1;

    // A value's declaration is small; anything larger is not one (and is not read into memory).
    private const long MaxValueInfoBytes = 1 << 20;

    private OnnxModelFile(IReadOnlyList<(string Name, long[] Shape)> inputs, IReadOnlyList<(string Name, long[] Shape)> outputs)
    {
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>The graph's inputs in order, each with its shape (-1 for a dimension not fixed).</summary>
    public IReadOnlyList<(string Name, long[] Shape)> Inputs { get; }

    /// <summary>The graph's outputs in order, each with its shape (-1 for a dimension not fixed).</summary>
    public IReadOnlyList<(string Name, long[] Shape)> Outputs { get; }

    /// <summary>Reads <paramref name="path"/>'s declarations; a missing file or one that is not an ONNX model is a <see cref="RobustStartupException"/> naming it.</summary>
    public static OnnxModelFile Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new RobustStartupException(
                $"the robust model file '{path}' does not exist: build Needle (the build copies the default ResNet18 model next to the binaries) or give a model file with --robust-model");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.RandomAccess);
            var reader = new Reader(stream);
            var graph = (Start: -1L, End: -1L);
            while (reader.Position < stream.Length)
            {
                var (field, wire) = reader.Tag();
                if (field == ModelGraph && wire == 2)
                {
                    var length = reader.Length(stream.Length);
                    graph = (reader.Position, reader.Position + length);
                    reader.Seek(graph.End);
                }
                else
                {
                    reader.Skip(wire, stream.Length);
                }
            }

            if (graph.Start < 0)
            {
                throw new InvalidDataException("no graph");
            }

            var initializers = new HashSet<string>(StringComparer.Ordinal);
            var inputs = new List<(string, long[])>();
            var outputs = new List<(string, long[])>();
            reader.Seek(graph.Start);
            while (reader.Position < graph.End)
            {
                var (field, wire) = reader.Tag();
                if (wire == 2 && field == GraphInitializer)
                {
                    var end = reader.End(graph.End);
                    if (InitializerName(reader, end) is { } name)
                    {
                        initializers.Add(name);
                    }

                    reader.Seek(end);
                }
                else if (wire == 2 && field is GraphInput or GraphOutput)
                {
                    var length = reader.Length(graph.End);
                    if (length > MaxValueInfoBytes)
                    {
                        throw new InvalidDataException("oversized value declaration");
                    }

                    var value = ValueInfo(reader.Bytes((int)length));
                    (field == GraphInput ? inputs : outputs).Add(value);
                }
                else
                {
                    reader.Skip(wire, graph.End);
                }
            }

            inputs.RemoveAll(i => initializers.Contains(i.Item1));
            if (inputs.Count == 0 || outputs.Count == 0)
            {
                throw new InvalidDataException("a graph with no inputs or outputs");
            }

            return new OnnxModelFile(inputs, outputs);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException or UnauthorizedAccessException or OverflowException)
        {
            throw new RobustStartupException($"the robust model file '{path}' is not an ONNX model ({e.Message}): give an ONNX model file with --robust-model", e);
        }
    }

    private static string? InitializerName(Reader reader, long end)
    {
        while (reader.Position < end)
        {
            var (field, wire) = reader.Tag();
            if (field == TensorName && wire == 2)
            {
                var length = reader.Length(end);
                return System.Text.Encoding.UTF8.GetString(reader.Bytes((int)Math.Min(length, MaxValueInfoBytes)));
            }

            reader.Skip(wire, end);
        }

        return null;
    }

    private static (string Name, long[] Shape) ValueInfo(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        var reader = new Reader(stream);
        var name = "";
        long[] shape = [];
        while (reader.Position < bytes.Length)
        {
            var (field, wire) = reader.Tag();
            if (field == ValueInfoName && wire == 2)
            {
                name = System.Text.Encoding.UTF8.GetString(reader.Bytes((int)reader.Length(bytes.Length)));
            }
            else if (field == ValueInfoType && wire == 2)
            {
                var typeEnd = reader.End(bytes.Length);
                shape = Within(reader, typeEnd, TypeTensor, tensorEnd => Within(reader, tensorEnd, TensorTypeShape, shapeEnd => Dimensions(reader, shapeEnd))) ?? [];
                reader.Seek(typeEnd);
            }
            else
            {
                reader.Skip(wire, bytes.Length);
            }
        }

        return (name, shape);
    }

    // The first length-delimited field numbered `wanted` before `end`, read by `read` (given the field's end).
    private static long[]? Within(Reader reader, long end, int wanted, Func<long, long[]?> read)
    {
        while (reader.Position < end)
        {
            var (field, wire) = reader.Tag();
            if (field == wanted && wire == 2)
            {
                var fieldEnd = reader.End(end);
                var result = read(fieldEnd);
                reader.Seek(fieldEnd);
                return result;
            }

            reader.Skip(wire, end);
        }

        return null;
    }

    private static long[] Dimensions(Reader reader, long end)
    {
        var dimensions = new List<long>();
        while (reader.Position < end)
        {
            var (field, wire) = reader.Tag();
            if (field != ShapeDimension || wire != 2)
            {
                reader.Skip(wire, end);
                continue;
            }

            var dimensionEnd = reader.End(end);
            var value = -1L;
            while (reader.Position < dimensionEnd)
            {
                var (inner, innerWire) = reader.Tag();
                if (inner == DimensionValue && innerWire == 0)
                {
                    value = (long)reader.Varint();
                }
                else
                {
                    reader.Skip(innerWire, dimensionEnd);
                }
            }

            dimensions.Add(value > 0 ? value : -1);
        }

        return [.. dimensions];
    }

    // A minimal protocol buffer reader over a seekable stream: tags, varints, lengths checked against their bounds.
    private sealed class Reader(Stream stream)
    {
        public long Position => stream.Position;

        public void Seek(long position) => stream.Position = position;

        public (int Field, int Wire) Tag()
        {
            var tag = Varint();
            var field = tag >> 3;
            var wire = (int)(tag & 7);
            if (field is 0 or > int.MaxValue || wire is 3 or 4 or > 5)
            {
                throw new InvalidDataException($"not a protocol buffer at byte {stream.Position}");
            }

            return ((int)field, wire);
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                var b = stream.ReadByte();
                if (b < 0)
                {
                    throw new EndOfStreamException("cut short");
                }

                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new InvalidDataException("a malformed number");
        }

        public long Length(long limit)
        {
            var length = Varint();
            if (length > (ulong)(limit - stream.Position))
            {
                throw new InvalidDataException($"a field at byte {stream.Position} runs past its end");
            }

            return (long)length;
        }

        /// <summary>Reads a length and returns where the field it starts ends.</summary>
        public long End(long limit)
        {
            var length = Length(limit);
            return stream.Position + length;
        }

        public byte[] Bytes(int length)
        {
            var bytes = new byte[length];
            stream.ReadExactly(bytes);
            return bytes;
        }

        public void Skip(int wire, long limit)
        {
            var size = wire switch
            {
                0 => 0,
                1 => 8,
                2 => Length(limit),
                _ => 4,
            };
            if (wire == 0)
            {
                _ = Varint();
                return;
            }

            if (size > limit - stream.Position)
            {
                throw new InvalidDataException($"a field at byte {stream.Position} runs past its end");
            }

            stream.Position += size;
        }
    }
}
