using BenchmarkDotNet.Running;

// Run all:            dotnet run -c Release --project bench/Needle.Benchmarks -- --filter '*'
// Run one class:      dotnet run -c Release --project bench/Needle.Benchmarks -- --filter '*PdqHasherBenchmarks*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
