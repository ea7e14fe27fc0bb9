namespace Needle.Web.Tests;

/// <summary>The review-page tests that share one <see cref="ReviewSite"/> (one server, one browser).</summary>
[CollectionDefinition(Name)]
public sealed class ReviewSiteCollection : ICollectionFixture<ReviewSite>
{
    public const string Name = "review site";
}
