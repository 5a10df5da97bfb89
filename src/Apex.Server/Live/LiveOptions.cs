namespace Apex.Server.Live;

/// <summary>The WebSocket endpoint's limits (configuration section <c>Apex:WebSocket</c>; docs/websocket.md).</summary>
public sealed class LiveOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "Apex:WebSocket";

    /// <summary>Sockets this server holds at once; the next upgrade gets 503 <c>ws_connection_limit</c>.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Subscriptions one socket may hold; the next subscribe gets the error <c>too_many_subscriptions</c>.</summary>
    public int MaxSubscriptionsPerConnection { get; set; } = 32;

    /// <summary>
    /// Messages waiting to be written to one socket; a client that lets more pile up is closed with 1008
    /// <c>send_queue_full</c>. Also the live-feed buffer of each subscription.
    /// </summary>
    public int SendQueueCapacity { get; set; } = 4096;

    /// <summary>
    /// Most bytes of queued messages written to one socket in a single send (a burst of events then costs one send call
    /// and one TCP segment per socket, not one per event); 0 writes each message on its own.
    /// </summary>
    public int MaxBatchBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Events buffered between the event bus and the server's WebSocket fan-out (one buffer for all sockets); if the
    /// fan-out falls this far behind, every socket is closed with 1013 <c>live_feed_overflow</c> and clients resume.
    /// </summary>
    public int FeedCapacity { get; set; } = 65_536;

    /// <summary>Largest client message, counted while its fragments arrive; a larger one closes the socket with 1009.</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;

    /// <summary>Most stored events one <c>since</c> may replay; more gets the error <c>replay_too_large</c>.</summary>
    public int MaxReplayEvents { get; set; } = 100_000;

    /// <summary>Bad client messages in a row before the socket is closed with 1008 <c>too_many_invalid_messages</c>.</summary>
    public int MaxInvalidMessages { get; set; } = 20;

    /// <summary>How often the server pings the client (WebSocket control frames).</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>A client that answers no ping within this is aborted (0 = never).</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a closing socket may take to flush its last write and exchange close frames before it is aborted.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Browser origins allowed besides the server's own host (such as <c>http://localhost:5173</c> for a dev dashboard) and
    /// those of <c>Apex:Cors:AllowedOrigins</c>, which are added to these;
    /// <c>*</c> allows any. Requests without an <c>Origin</c> header (non-browser clients) are always allowed.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Tasks and approvals whose agent (and task) this server remembers to route events by agent.</summary>
    public int AgentCacheSize { get; set; } = 100_000;
}
