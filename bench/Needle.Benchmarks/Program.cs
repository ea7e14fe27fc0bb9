using BenchmarkDotNet.Running;
using Needle.Benchmarks.Matching;

// Run one class:  dotnet run -c Release --project bench/Needle.Benchmarks -- --filter '*PdqHasherBenchmarks*'
// "match [entries] [queries] [bruteQueries] [radius] [seed] [substrings]" runs the in-library match benchmark until the
// CLI's "needle bench match" exists; anything else goes to BenchmarkDotNet.
if (args.Length > 0 && args[0] == "match")
{
    return MatchBenchmarkCommand.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
