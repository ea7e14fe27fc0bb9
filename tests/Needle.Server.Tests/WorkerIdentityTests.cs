using Needle.Server.Processing;

namespace Needle.Server.Tests;

public sealed class WorkerIdentityTests
{
    [Theory]
    [InlineData("vm/100/1", true)]   // this host, process gone
    [InlineData("vm/42/2", true)]    // this host, this very pid: a previous process with the same pid (pid 1 in a container)
    [InlineData("vm/200/1", false)]  // this host, process running: another server on the same file
    [InlineData("other/100/1", false)] // another host: cannot tell, the lease expires
    [InlineData("vm/x/1", false)]
    [InlineData("vm", false)]
    [InlineData("w1", false)]
    public void Only_leases_of_certainly_dead_workers_of_this_host_are_abandoned(string leasedBy, bool abandoned) =>
        Assert.Equal(abandoned, WorkerIdentity.IsAbandoned(leasedBy, "vm", 42, pid => pid == 200));

    [Fact]
    public void Ids_round_trip_and_this_process_is_running()
    {
        Assert.Equal("vm/42/3", WorkerIdentity.Create("vm", 42, 3));
        Assert.True(WorkerIdentity.IsRunning(Environment.ProcessId));
        Assert.False(WorkerIdentity.IsRunning(int.MaxValue));
    }
}
