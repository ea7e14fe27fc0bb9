namespace Needle.Application.Lists;

/// <summary>Which lists the flood guard watches.</summary>
public enum FloodGuardScope
{
    /// <summary>None: the guard is off.</summary>
    Off,

    /// <summary>
    /// Lists an exchange feeds (the default): a bad hash arrives from outside there, while a locally curated list's
    /// entry matching a known picture many times is expected and must keep matching.
    /// </summary>
    ExchangeLists,

    /// <summary>Every list, local ones too.</summary>
    AllLists,
}
