namespace Needle.Video;

/// <summary>Why a known video was reported.</summary>
[Flags]
public enum VideoMatchRule
{
    /// <summary>No rule matched (the video is not reported).</summary>
    None = 0,

    /// <summary>Enough of the known video was found in the query (and enough of the query matched).</summary>
    Known = 1,

    /// <summary>Enough of the query was found in the known video: the query is a clip of it.</summary>
    Clip = 2,

    /// <summary>The files are byte-identical (MD5).</summary>
    Md5 = 4,
}
