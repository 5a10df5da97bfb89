namespace Apex.Server.Security;

/// <summary>When the API asks for a credential (setting <c>Apex:Auth:Mode</c>; docs/security.md).</summary>
public enum AuthMode
{
    /// <summary>
    /// Open on loopback while nothing can authenticate (no key ever created, no bootstrap key, no JWT); required as soon as
    /// something can. Refuses to start open on a non-loopback address.
    /// </summary>
    Auto,

    /// <summary>Always required; refuses to start when no credential could ever be accepted.</summary>
    Required,
}
