namespace Needle.Matching.Lists;

/// <summary>
/// A compact map from a positive int key to a non-negative int value: open addressing with linear probing over two
/// parallel int arrays (8 bytes a slot, at most 3/4 full), so a million entries cost about 11-21 MB instead of a
/// Dictionary's object graph. Deletion shifts the following run back, so there are no tombstones. Not thread-safe.
/// </summary>
internal sealed class IdMap
{
    private const int MinCapacity = 16;

    private int[] _keys = new int[MinCapacity];
    private int[] _values = new int[MinCapacity];
    private int _count;

    public int Count => _count;

    /// <summary>Bytes held by the two arrays.</summary>
    public long Bytes => ((long)_keys.Length + _values.Length) * sizeof(int);

    public bool TryGetValue(int key, out int value)
    {
        var mask = _keys.Length - 1;
        for (var i = Hash(key) & mask; ; i = (i + 1) & mask)
        {
            var k = _keys[i];
            if (k == key)
            {
                value = _values[i];
                return true;
            }

            if (k == 0)
            {
                value = -1;
                return false;
            }
        }
    }

    public bool ContainsKey(int key) => TryGetValue(key, out _);

    /// <summary>Adds or replaces the value of <paramref name="key"/> (which must be positive).</summary>
    public void Set(int key, int value)
    {
        if (key <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(key), key, "Keys are positive.");
        }

        if ((_count + 1) * 4 > _keys.Length * 3)
        {
            Resize(_keys.Length * 2);
        }

        var mask = _keys.Length - 1;
        for (var i = Hash(key) & mask; ; i = (i + 1) & mask)
        {
            var k = _keys[i];
            if (k == key)
            {
                _values[i] = value;
                return;
            }

            if (k == 0)
            {
                _keys[i] = key;
                _values[i] = value;
                _count++;
                return;
            }
        }
    }

    public bool Remove(int key, out int value)
    {
        var mask = _keys.Length - 1;
        var i = Hash(key) & mask;
        while (true)
        {
            var k = _keys[i];
            if (k == 0)
            {
                value = -1;
                return false;
            }

            if (k == key)
            {
                break;
            }

            i = (i + 1) & mask;
        }

        value = _values[i];
        _count--;

        // Backward-shift deletion: move later members of the run into the hole when their home is at or before it.
        var hole = i;
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            var k = _keys[j];
            if (k == 0)
            {
                break;
            }

            var home = Hash(k) & mask;
            if (((j - home) & mask) >= ((j - hole) & mask))
            {
                _keys[hole] = k;
                _values[hole] = _values[j];
                hole = j;
            }
        }

        _keys[hole] = 0;
        _values[hole] = 0;
        return true;
    }

    private void Resize(int capacity)
    {
        var keys = _keys;
        var values = _values;
        _keys = new int[capacity];
        _values = new int[capacity];
        var mask = capacity - 1;
        for (var s = 0; s < keys.Length; s++)
        {
            var key = keys[s];
            if (key == 0)
            {
                continue;
            }

            var i = Hash(key) & mask;
            while (_keys[i] != 0)
            {
                i = (i + 1) & mask;
            }

            _keys[i] = key;
            _values[i] = values[s];
        }
    }

    // Multiplying by an odd constant is a bijection on the low bits, so sequential ids (the common case) never collide.
    private static int Hash(int key) => (int)((uint)key * 2654435769u);
}
