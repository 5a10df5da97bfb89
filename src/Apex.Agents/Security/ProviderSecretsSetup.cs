using Apex.Agents.Providers;
using Microsoft.Extensions.Options;

namespace Apex.Agents.Security;

/// <summary>Registers every configured provider's API key with the <see cref="SecretRedactor"/>, however it was set.</summary>
internal sealed class ProviderSecretsSetup(SecretRedactor redactor) : IPostConfigureOptions<ProvidersOptions>
{
    public void PostConfigure(string? name, ProvidersOptions options)
    {
        foreach (var item in options.Items.Values)
        {
            redactor.Register(item.ApiKey?.Trim());
        }
    }
}
