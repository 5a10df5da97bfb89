import { socketProtocols, withAccessToken } from '../api/credential';
import type { TaskEvent } from '../api/types';
import { fromTaskEvent, fromWsMessage, matches, streamEventTypes, type Channel, type Filter, type LiveEvent } from './events';

export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'fallback';

interface Subscription {
  key: string;
  /** The subscription's id on the socket (`s1`, `s2`, …), kept across reconnects. */
  id: string;
  channel: Channel;
  filter?: Filter;
  /** Highest stored seq seen for it: the `since` of the next subscribe after a reconnect. */
  lastSeq: number;
  /** Components holding it: the same channel and filter share one subscription. */
  holders: number;
  stopFallback?: () => void;
}

/** The parts of the browser the transport uses; tests pass fakes of their own. */
export interface TransportEnvironment {
  createSocket(url: string): WebSocket;
  createEventSource?(url: string): EventSource;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

export interface TransportOptions {
  url: string;
  onEvents: (events: LiveEvent[]) => void;
  onState?: (state: ConnectionState) => void;
  env?: TransportEnvironment;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Failed connects in a row, without ever being open, after which SSE streams stand in until the socket opens. */
  fallbackAfter?: number;
  /** No message for this long means the connection is dead. */
  idleTimeoutMs?: number;
  /** How often the client sends `{"type":"ping"}` (the server answers `pong`), so a dead server is noticed. */
  pingIntervalMs?: number;
}

/** Stored events seen recently, by seq: two subscriptions that both match an event each receive it. */
const recentCapacity = 8192;

const browser: TransportEnvironment = {
  createSocket: (url) => new WebSocket(url, socketProtocols()),
  createEventSource: (url) => new EventSource(withAccessToken(url)),
  setTimeout: (fn, ms) => window.setTimeout(fn, ms),
  clearTimeout: (h) => window.clearTimeout(h as number),
  random: Math.random,
};

/**
 * The one live connection of the app: `GET /api/v1/ws` (DESIGN §3). Subscriptions survive reconnects: each is sent
 * again with `since` = the last seq seen for it, so the server replays what was missed. Reconnects back off
 * exponentially with jitter. While the socket cannot be opened at all (a server without the endpoint), DAG and task
 * subscriptions fall back to the SSE streams, and the socket keeps being retried at the longest backoff.
 */
export class LiveTransport {
  private readonly subs = new Map<string, Subscription>();
  private readonly byId = new Map<string, Subscription>();
  private readonly recent = new Set<number>();
  private nextId = 1;
  private pingTimer?: unknown;
  private readonly env: TransportEnvironment;
  private socket?: WebSocket;
  private open = false;
  private everOpened = false;
  private failures = 0;
  private timer?: unknown;
  private idleTimer?: unknown;
  private stopped = true;
  private _state: ConnectionState = 'connecting';

  constructor(private readonly options: TransportOptions) {
    this.env = options.env ?? browser;
  }

  get state(): ConnectionState {
    return this._state;
  }

  start(): void {
    if (!this.stopped) {
      return;
    }
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close();
    this.socket = undefined;
    for (const sub of this.subs.values()) {
      sub.stopFallback?.();
      sub.stopFallback = undefined;
    }
  }

  /** Subscribes (now if connected, else on connect); the returned function unsubscribes. */
  subscribe(channel: Channel, filter?: Filter): () => void {
    const key = `${channel}:${JSON.stringify(filter ?? {})}`;
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { key, id: `s${this.nextId++}`, channel, filter, lastSeq: 0, holders: 0 };
      this.subs.set(key, sub);
      this.byId.set(sub.id, sub);
      if (this.open) {
        this.send(sub);
      } else if (this._state === 'fallback') {
        this.startFallback(sub);
      }
    }
    const current = sub;
    current.holders++;
    let released = false;
    return () => {
      if (released || this.subs.get(key) !== current) {
        return;
      }
      released = true;
      if (--current.holders > 0) {
        return;
      }
      this.subs.delete(key);
      this.byId.delete(current.id);
      current.stopFallback?.();
      if (this.open) {
        this.socket?.send(JSON.stringify({ type: 'unsubscribe', id: current.id }));
      }
    };
  }

  private connect(): void {
    if (this.stopped) {
      return;
    }
    this.setState(this.everOpened ? 'reconnecting' : this._state === 'fallback' ? 'fallback' : 'connecting');
    let socket: WebSocket;
    try {
      socket = this.env.createSocket(this.options.url);
    } catch {
      this.onClosed();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      this.open = true;
      this.everOpened = true;
      this.failures = 0;
      for (const sub of this.subs.values()) {
        sub.stopFallback?.();
        sub.stopFallback = undefined;
        this.send(sub);
      }
      this.setState('live');
      this.armIdle();
      this.armPing();
    };
    socket.onmessage = (message: MessageEvent) => this.onMessage(message.data);
    socket.onclose = () => {
      if (this.socket === socket) {
        this.onClosed();
      }
    };
    socket.onerror = () => {
      // onclose follows and decides.
    };
  }

  private onMessage(raw: unknown): void {
    this.armIdle();
    if (typeof raw !== 'string') {
      return;
    }
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    switch (message.type) {
      case 'ping':
        this.socket?.send(JSON.stringify({ type: 'pong', id: message.id }));
        return;
      case 'subscribed': {
        const sub = this.byId.get(String(message.id));
        if (sub && typeof message.seq === 'number' && message.seq > sub.lastSeq) {
          sub.lastSeq = message.seq;
        }
        return;
      }
      case 'error': {
        // Too much to replay since the last seq: subscribe again from now (the views reread state over REST).
        const sub = this.byId.get(String(message.id));
        if (sub && (message.code === 'replay_too_large' || message.code === 'replay_unavailable')) {
          if (message.code === 'replay_too_large') sub.lastSeq = 0;
          this.send(sub);
        }
        return;
      }
    }
    const e = fromWsMessage(message);
    if (!e) {
      return;
    }
    if (e.seq > 0) {
      const sub = typeof message.subscription === 'string' ? this.byId.get(message.subscription) : undefined;
      if (sub && e.seq > sub.lastSeq) {
        sub.lastSeq = e.seq;
      } else if (!sub) {
        this.advance(e);
      }
      if (this.recent.has(e.seq)) {
        return;
      }
      this.remember(e.seq);
    }
    this.options.onEvents([e]);
  }

  private remember(seq: number): void {
    this.recent.add(seq);
    if (this.recent.size > recentCapacity) {
      // Sets iterate in insertion order: the oldest goes first.
      this.recent.delete(this.recent.values().next().value as number);
    }
  }

  private advance(e: LiveEvent): void {
    for (const sub of this.subs.values()) {
      if (sub.channel === e.channel && sub.lastSeq < e.seq && matches(sub.filter, e)) {
        sub.lastSeq = e.seq;
      }
    }
  }

  private onClosed(): void {
    this.open = false;
    this.socket = undefined;
    this.clearTimers();
    if (this.stopped) {
      return;
    }
    this.failures++;
    const fallbackAfter = this.options.fallbackAfter ?? 2;
    if (!this.everOpened && this.failures >= fallbackAfter && this._state !== 'fallback') {
      this.setState('fallback');
      for (const sub of this.subs.values()) {
        this.startFallback(sub);
      }
    } else if (this.everOpened) {
      this.setState('reconnecting');
    }
    const initial = this.options.initialBackoffMs ?? 500;
    const max = this.options.maxBackoffMs ?? 15_000;
    const exponential = Math.min(max, initial * 2 ** Math.min(this.failures - 1, 16));
    const delay = this._state === 'fallback' ? max : exponential * (0.5 + this.env.random() / 2);
    this.timer = this.env.setTimeout(() => this.connect(), delay);
  }

  private send(sub: Subscription): void {
    const message: Record<string, unknown> = { type: 'subscribe', id: sub.id, channel: sub.channel };
    if (sub.filter && Object.keys(sub.filter).length) {
      message.filter = sub.filter;
    }
    if (sub.lastSeq > 0) {
      message.since = sub.lastSeq;
    }
    this.socket?.send(JSON.stringify(message));
  }

  /** SSE for a DAG or a task (resumed from the last seq seen); channel-wide subscriptions are left to polling. */
  private startFallback(sub: Subscription): void {
    const create = this.env.createEventSource;
    const target = sub.filter?.task_id ? `/api/v1/tasks/${sub.filter.task_id}/stream` : sub.filter?.dag_id ? `/api/v1/dags/${sub.filter.dag_id}/stream` : undefined;
    if (!create || !target || sub.stopFallback) {
      return;
    }
    // EventSource sends Last-Event-ID only on its own reconnects; a fresh one starts from the stream's beginning, and
    // the stores drop what they already applied (by seq).
    const source = create(target);
    const listener = (message: MessageEvent) => {
      let parsed: TaskEvent;
      try {
        parsed = JSON.parse(message.data);
      } catch {
        return;
      }
      const e = fromTaskEvent(parsed);
      if (e.seq > sub.lastSeq) {
        sub.lastSeq = e.seq;
      }
      if (e.seq > 0 && this.recent.has(e.seq)) {
        return;
      }
      if (e.seq > 0) this.remember(e.seq);
      this.options.onEvents([e]);
      if (isStreamEnd(sub, e)) {
        source.close();
      }
    };
    for (const type of streamEventTypes) {
      source.addEventListener(type, listener as EventListener);
    }
    sub.stopFallback = () => source.close();
  }

  private armIdle(): void {
    if (this.idleTimer !== undefined) {
      this.env.clearTimeout(this.idleTimer);
    }
    const idle = this.options.idleTimeoutMs ?? 60_000;
    this.idleTimer = this.env.setTimeout(() => this.socket?.close(), idle);
  }

  private armPing(): void {
    const every = this.options.pingIntervalMs ?? 20_000;
    this.pingTimer = this.env.setTimeout(() => {
      if (this.open) {
        this.socket?.send(JSON.stringify({ type: 'ping' }));
        this.armPing();
      }
    }, every);
  }

  private clearTimers(): void {
    if (this.pingTimer !== undefined) {
      this.env.clearTimeout(this.pingTimer);
      this.pingTimer = undefined;
    }
    if (this.timer !== undefined) {
      this.env.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.idleTimer !== undefined) {
      this.env.clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }

  private setState(state: ConnectionState): void {
    if (this._state !== state) {
      this._state = state;
      this.options.onState?.(state);
    }
  }
}

function isStreamEnd(sub: Subscription, e: LiveEvent): boolean {
  if (sub.filter?.task_id) {
    return ['task_succeeded', 'task_failed', 'task_cancelled', 'task_skipped'].includes(e.event_type);
  }
  return ['dag_succeeded', 'dag_failed', 'dag_cancelled'].includes(e.event_type);
}
