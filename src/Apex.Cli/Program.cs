using Apex.Cli;

return await ApexCommandLine.InvokeAsync(args, CliConsole.FromProcess());
