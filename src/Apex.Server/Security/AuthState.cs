namespace Apex.Server.Security;

/// <summary>
/// Whether this server currently asks for credentials. It starts closed (every protected route answers 401) and
/// <see cref="AuthStartup"/> opens it once the server is bound, only in the open case of docs/security.md.
/// </summary>
internal sealed partial class AuthState(ILogger<AuthState> logger)
{
    private volatile bool _open;

    public bool IsOpen => _open;

    public void Open() => _open = true;

    /// <summary>A key now exists (created here or on another server): an open server requires credentials from now on.</summary>
    public void KeyCreated()
    {
        if (_open)
        {
            _open = false;
            LogClosed();
        }
    }

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "An API key now exists: this server requires authentication from now on.")]
    private partial void LogClosed();
}
