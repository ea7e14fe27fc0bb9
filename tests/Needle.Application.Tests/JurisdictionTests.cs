using Needle.Application.Clues;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Testing;

namespace Needle.Application.Tests;

public sealed class JurisdictionTests
{
    private static readonly JurisdictionRules Rules = new JurisdictionRules
    {
        Rules =
        [
            new JurisdictionRule("ca", "on", "CA: OPP", "OPP"),
            new JurisdictionRule("CA", null, "CA", "RCMP"),
            new JurisdictionRule("FR", null, "FR: OFMIN", "OFMIN"),
        ],
        Fallback = new JurisdictionTarget("international", "INHOPE"),
    }.Validated();

    private static JurisdictionEvidence Gps(string? country, string? region = null) =>
        new() { Kind = "gps", FileId = Guid.NewGuid(), Lat = 1, Lon = 2, Country = country, Region = region };

    private static JurisdictionEvidence Ip(string? country, string? eventName) =>
        new() { Kind = "ip", Event = eventName, Ip = "192.0.2.1", Country = country, Database = "test-db 2026-01-01" };

    [Fact]
    public void Rules_are_normalised_and_the_first_matching_rule_wins()
    {
        Assert.Equal(new JurisdictionRule("CA", "CA-ON", "CA: OPP", "OPP"), Rules.Rules[0]);
        Assert.Equal(("CA: OPP", "CA-ON"), Summarise(Rules.Route("CA", "CA-ON")));
        Assert.Equal(("CA", "CA"), Summarise(Rules.Route("CA", "CA-QC")));
        Assert.Equal(("CA", "CA"), Summarise(Rules.Route("CA", null)));
        Assert.Equal(("FR: OFMIN", "FR"), Summarise(Rules.Route("FR", "FR-ARA")));
        Assert.Equal(("international", "default"), Summarise(Rules.Route("NL", null)));
        Assert.Equal(("international", "default"), Summarise(Rules.Route(null, null)));

        static (string, string) Summarise((JurisdictionTarget Target, string Rule) r) => (r.Target.Queue, r.Rule);
    }

    [Fact]
    public void Gps_wins_over_upload_ip_which_wins_over_other_ip_and_conflicts_are_listed()
    {
        var decision = JurisdictionRouter.Decide([Ip("NL", "login"), Ip("DE", "upload"), Gps("CA", "CA-ON")], Rules);
        Assert.Equal(("CA", "CA-ON", "CA: OPP", "OPP", "gps", "CA-ON"), (decision.Country, decision.Region, decision.Queue, decision.Agency, decision.Basis, decision.Rule));
        Assert.Equal(["DE", "NL"], decision.Conflicts);
        Assert.Equal(3, decision.Evidence.Count);

        var byUpload = JurisdictionRouter.Decide([Ip("NL", "login"), Ip("NL", "Login"), Ip("FR", "file-upload"), Gps(null)], Rules);
        Assert.Equal(("FR", "ip-upload", "FR: OFMIN"), (byUpload.Country, byUpload.Basis, byUpload.Queue));
        Assert.Null(byUpload.Region);
        Assert.Equal(["NL"], byUpload.Conflicts);

        var byOther = JurisdictionRouter.Decide([Ip(null, "upload"), Ip("NL", null)], Rules);
        Assert.Equal(("NL", "ip", "international", "default"), (byOther.Country, byOther.Basis, byOther.Queue, byOther.Rule));
    }

    [Fact]
    public void Within_a_tier_the_most_frequent_country_wins_and_a_tie_goes_to_the_first_seen()
    {
        var majority = JurisdictionRouter.Decide([Gps("CA", "CA-QC"), Gps("FR", "FR-ARA"), Gps("FR", "FR-IDF"), Gps("FR", "FR-IDF")], Rules);
        Assert.Equal(("FR", "FR-IDF"), (majority.Country, majority.Region));
        Assert.Equal(["CA"], majority.Conflicts);

        var tie = JurisdictionRouter.Decide([Gps("FR"), Gps("CA"), Gps("CA"), Gps("FR")], Rules);
        Assert.Equal("FR", tie.Country);
    }

    [Fact]
    public void No_placed_clue_goes_to_the_default_queue()
    {
        var none = JurisdictionRouter.Decide([], Rules);
        Assert.Equal(("international", "INHOPE", "none", "default"), (none.Queue, none.Agency, none.Basis, none.Rule));
        Assert.Null(none.Country);
        Assert.Empty(none.Conflicts);

        var unplaced = JurisdictionRouter.Decide([Gps(null), Ip(null, "upload")], JurisdictionRules.Default);
        Assert.Equal(("international", "none"), (unplaced.Queue, unplaced.Basis));
        Assert.Equal(2, unplaced.Evidence.Count);
    }

    [Fact]
    public void Ip_events_without_a_database_or_with_a_bad_address_are_listed_unplaced()
    {
        var submission = new ReportSubmission
        {
            ReportedPerson = new ReportedPerson { IpCaptureEvents = [new IpCaptureEvent("193.0.6.139", "upload", null), new IpCaptureEvent("not-an-ip", "login", null)] },
        };
        var evidence = JurisdictionRouter.Collect(submission, [], geo: null);
        Assert.Equal(["no IP database", "not an IP address"], evidence.Select(e => e.Note));
        Assert.All(evidence, e => Assert.Null(e.Country));
    }

    [Fact]
    public void The_example_rules_file_in_docs_loads()
    {
        var rules = JurisdictionRules.Load(Path.Combine(TestPaths.RepositoryRoot, "docs", "routing.example.json"));
        Assert.Equal("CA: OPP", rules.Route("CA", "CA-ON").Target.Queue);
        Assert.Equal("CA: RCMP", rules.Route("CA", "CA-QC").Target.Queue);
        Assert.Equal("FR: OFMIN", rules.Route("FR", "FR-ARA").Target.Queue);
        Assert.Equal(new JurisdictionTarget("international", "INHOPE"), rules.Route("BR", null).Target);
    }

    [Fact]
    public void A_rules_file_loads_and_bad_ones_say_what_is_wrong()
    {
        var folder = Directory.CreateTempSubdirectory("needle-routing-").FullName;
        try
        {
            var path = Path.Combine(folder, "routing.json");
            File.WriteAllText(path, """
                {
                  // Region rules first.
                  "rules": [
                    { "country": "CA", "region": "CA-ON", "queue": "CA: OPP", "agency": "OPP" },
                    { "country": "fr", "queue": "FR: OFMIN", "agency": "OFMIN" },
                  ],
                  "default": { "queue": "international" }
                }
                """);
            var rules = JurisdictionRules.Load(path);
            Assert.Equal(2, rules.Rules.Count);
            Assert.Equal("FR", rules.Rules[1].Country);
            Assert.Equal(new JurisdictionTarget("international", null), rules.Fallback);

            File.WriteAllText(path, """{ "rules": [ { "country": "France", "queue": "FR" } ] }""");
            Assert.Contains("two-letter", Assert.Throws<InvalidDataException>(() => JurisdictionRules.Load(path)).Message, StringComparison.Ordinal);
            File.WriteAllText(path, """{ "rules": [ { "country": "FR", "region": "CA-ON", "queue": "FR" } ] }""");
            Assert.Contains("not in FR", Assert.Throws<InvalidDataException>(() => JurisdictionRules.Load(path)).Message, StringComparison.Ordinal);
            File.WriteAllText(path, """{ "rules": [ { "country": "FR" } ] }""");
            Assert.Contains("queue", Assert.Throws<InvalidDataException>(() => JurisdictionRules.Load(path)).Message, StringComparison.Ordinal);
            File.WriteAllText(path, """{ "rulez": [] }""");
            Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => JurisdictionRules.Load(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
