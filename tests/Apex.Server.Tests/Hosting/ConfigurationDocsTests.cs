using System.Reflection;
using System.Runtime.Loader;
using Apex.Testing;
using Xunit;

namespace Apex.Server.Tests.Hosting;

/// <summary>
/// docs/configuration.md names every setting: each options class of every Apex assembly (a class with a
/// <c>public const string Section</c>, server and worker alike) has each of its settable properties written there as
/// <c>Section:Property</c>. A setting added without its line fails here.
/// </summary>
public sealed class ConfigurationDocsTests
{
    [Fact]
    public void EverySettingOfEveryOptionsClass_IsInConfigurationMd()
    {
        var docs = File.ReadAllText(Path.Combine(ServerProcess.RepositoryRoot, "docs", "configuration.md"));
        var settings = OptionsClasses().SelectMany(type => Settings(type)).ToList();

        var missing = settings.Where(s => !docs.Contains(s, StringComparison.Ordinal)).ToList();

        Assert.True(settings.Count > 100, $"only {settings.Count} settings found: the scan lost assemblies");
        Assert.Contains(settings, s => s.StartsWith("Apex:Worker:", StringComparison.Ordinal));
        Assert.Contains(settings, s => s.StartsWith("Apex:WebSocket:", StringComparison.Ordinal));
        Assert.True(missing.Count == 0, $"not in docs/configuration.md: {string.Join(", ", missing)}");
    }

    private static IEnumerable<Type> OptionsClasses()
    {
        var directory = AppContext.BaseDirectory;
        var files = Directory.GetFiles(directory, "Apex.*.dll")
            .Where(f => !Path.GetFileName(f).Contains(".Tests", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("Apex.Testing", StringComparison.Ordinal))
            .Append(WorkerProcess.WorkerAssembly);
        // The worker is built beside this project, not copied into it: load it in a context of its own so its
        // dependencies resolve from its own folder.
        foreach (var file in files)
        {
            Assembly assembly;
            try
            {
                assembly = file == WorkerProcess.WorkerAssembly
                    ? new AssemblyLoadContext("worker-options", isCollectible: true).LoadFromAssemblyPath(file)
                    : Assembly.LoadFrom(file);
            }
            catch (FileNotFoundException)
            {
                throw new InvalidOperationException($"{file} is missing: build the solution first.");
            }
            foreach (var type in LoadableTypes(assembly))
            {
                if (type.GetField("Section", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field && field.FieldType == typeof(string)
                    && ((string)field.GetRawConstantValue()!).StartsWith("Apex:", StringComparison.Ordinal))
                {
                    yield return type;
                }
            }
        }
    }

    private static IEnumerable<string> Settings(Type type)
    {
        var section = (string)type.GetField("Section")!.GetRawConstantValue()!;
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
            .Select(p => $"{section}:{p.Name}");
    }

    private static Type[] LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return [.. e.Types.OfType<Type>()];
        }
    }
}
