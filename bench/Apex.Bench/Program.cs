using System.CommandLine;
using Apex.Bench;

var root = new RootCommand("Apex benchmarks: loopback only, bounded in count and time.");
root.Subcommands.Add(EmbeddedThroughput.Command());
root.Subcommands.Add(DagValidation.Command());
root.Subcommands.Add(SqliteFloor.Command());
root.Subcommands.Add(DistributedThroughput.Command());
root.Subcommands.Add(CascadeReplay.Command());
root.Subcommands.Add(WebSocketFanOut.Command());
root.Subcommands.Add(SocketFanOutFloor.Command());
root.Subcommands.Add(Apex.Bench.Load.LoadHarness.Command());
return await root.Parse(args).InvokeAsync();
