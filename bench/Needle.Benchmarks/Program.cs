using BenchmarkDotNet.Running;

// Run all:        dotnet run -c Release --project bench/Needle.Benchmarks -- --filter '*'
// Run one class:  dotnet run -c Release --project bench/Needle.Benchmarks -- --filter '*PdqHasherBenchmarks*'
// The index benchmark with its correctness cross-check is a load tool, not shipped:
//                 dotnet run -c Release --project tools/Needle.LoadTest -- match --entries N --queries Q
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
