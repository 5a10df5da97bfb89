import { describe, expect, it } from 'vitest';
import type { LiveEvent } from './events';
import { LiveTransport, type TransportEnvironment } from './transport';

class FakeSocket {
  sent: Record<string, unknown>[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.onclose?.();
  }
  // What the server does:
  open() {
    this.onopen?.();
  }
  receive(message: unknown) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  drop() {
    this.onclose?.();
  }
}

class FakeEventSource {
  listeners = new Map<string, (m: { data: string }) => void>();
  closed = false;
  constructor(readonly url: string) {}
  addEventListener(type: string, fn: (m: { data: string }) => void) {
    this.listeners.set(type, fn);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: unknown) {
    this.listeners.get(type)?.({ data: JSON.stringify(data) });
  }
}

function harness(options: { fallbackAfter?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const sources: FakeEventSource[] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const events: LiveEvent[] = [];
  const states: string[] = [];
  const env: TransportEnvironment = {
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s as unknown as WebSocket;
    },
    createEventSource: (url) => {
      const s = new FakeEventSource(url);
      sources.push(s);
      return s as unknown as EventSource;
    },
    setTimeout: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clearTimeout: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
    random: () => 1,
  };
  const transport = new LiveTransport({
    url: 'ws://apex/api/v1/ws',
    env,
    onEvents: (e) => events.push(...e),
    onState: (s) => states.push(s),
    initialBackoffMs: 100,
    maxBackoffMs: 1000,
    fallbackAfter: options.fallbackAfter,
  });
  /** Runs the latest pending reconnect timer (the idle timers are not reconnects). */
  const fireReconnect = () => {
    const t = [...timers].reverse().find((x) => !x.cleared && x.ms <= 1000);
    if (!t) throw new Error('no reconnect scheduled');
    t.cleared = true;
    t.fn();
    return t.ms;
  };
  return { transport, sockets, sources, timers, events, states, fireReconnect };
}

// As docs/websocket.md shows it.
const event = (seq: number, extra: Record<string, unknown> = {}) => ({
  type: 'event',
  subscription: 's1',
  channel: 'tasks',
  seq,
  event_type: 'task_started',
  aggregate_type: 'task',
  aggregate_id: 't1',
  task_id: 't1',
  dag_id: 'd1',
  agent: 'writer',
  version: 3,
  created_at: '2026-11-27T00:00:00Z',
  data: { attempt: 1, worker: 'w' },
  ...extra,
});

describe('LiveTransport', () => {
  it('subscribes on open and delivers events with their envelope lifted out', () => {
    const h = harness();
    h.transport.subscribe('tasks', { dag_id: 'd1' });
    h.transport.start();
    h.sockets[0].open();

    expect(h.sockets[0].url).toBe('ws://apex/api/v1/ws');
    expect(h.sockets[0].sent).toEqual([{ type: 'subscribe', id: 's1', channel: 'tasks', filter: { dag_id: 'd1' } }]);
    h.sockets[0].receive(event(7));
    expect(h.events).toHaveLength(1);
    expect(h.events[0]).toEqual({
      seq: 7, channel: 'tasks', event_type: 'task_started', aggregate_type: 'task', aggregate_id: 't1', dag_id: 'd1', agent: 'writer',
      data: { attempt: 1, worker: 'w' }, created_at: '2026-11-27T00:00:00Z',
    });
    expect(h.states.at(-1)).toBe('live');
  });

  it('resubscribes after a drop with since = the last seq seen, backing off exponentially', () => {
    const h = harness();
    h.transport.subscribe('tasks', { dag_id: 'd1' });
    h.transport.subscribe('approvals');
    h.transport.start();
    h.sockets[0].open();
    h.sockets[0].receive(event(41));
    h.sockets[0].receive(event(42));

    h.sockets[0].drop();
    expect(h.states.at(-1)).toBe('reconnecting');
    expect(h.fireReconnect()).toBe(100);
    h.sockets[1].drop();
    expect(h.fireReconnect()).toBe(200);
    h.sockets[2].drop();
    expect(h.fireReconnect()).toBe(400);
    h.sockets[3].open();

    expect(h.sockets[3].sent).toEqual([
      { type: 'subscribe', id: 's1', channel: 'tasks', filter: { dag_id: 'd1' }, since: 42 },
      { type: 'subscribe', id: 's2', channel: 'approvals' },
    ]);
    expect(h.states.at(-1)).toBe('live');
  });

  it('resumes from the seq `subscribed` reports, and not from live-only events (seq 0)', () => {
    const h = harness();
    h.transport.subscribe('tasks', { task_id: 't1' });
    h.transport.start();
    h.sockets[0].open();
    h.sockets[0].receive({ type: 'subscribed', id: 's1', channel: 'tasks', filter: { task_id: 't1' }, seq: 99 });
    h.sockets[0].receive(event(0, { event_type: 'output_delta', version: 0, data: { attempt: 1, text: 'Hel' } }));

    expect(h.events[0]).toMatchObject({ seq: 0, event_type: 'output_delta', data: { text: 'Hel' } });
    h.sockets[0].drop();
    h.fireReconnect();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([{ type: 'subscribe', id: 's1', channel: 'tasks', filter: { task_id: 't1' }, since: 99 }]);
  });

  it('delivers a stored event once when two subscriptions both receive it', () => {
    const h = harness();
    h.transport.subscribe('dags', { dag_id: 'd1' });
    h.transport.subscribe('tasks', { dag_id: 'd1' });
    h.transport.start();
    h.sockets[0].open();
    h.sockets[0].receive(event(5, { subscription: 's1', channel: 'dags' }));
    h.sockets[0].receive(event(5, { subscription: 's2' }));
    h.sockets[0].receive(event(6, { subscription: 's2' }));

    expect(h.events.map((e) => e.seq)).toEqual([5, 6]);
  });

  it('subscribes again from now when the server cannot replay that much', () => {
    const h = harness();
    h.transport.subscribe('agents');
    h.transport.start();
    h.sockets[0].open();
    h.sockets[0].receive(event(500, { channel: 'agents' }));
    h.sockets[0].drop();
    h.fireReconnect();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([{ type: 'subscribe', id: 's1', channel: 'agents', since: 500 }]);

    h.sockets[1].receive({ type: 'error', code: 'replay_too_large', message: 'too many', id: 's1' });

    expect(h.sockets[1].sent.at(-1)).toEqual({ type: 'subscribe', id: 's1', channel: 'agents' });
  });

  it('pings the server now and then', () => {
    const h = harness();
    h.transport.start();
    h.sockets[0].open();
    const ping = h.timers.find((t) => t.ms === 20_000 && !t.cleared)!;
    ping.fn();
    expect(h.sockets[0].sent).toEqual([{ type: 'ping' }]);
  });

  it('falls back to SSE streams when the socket never opens, and leaves them once it does', () => {
    const h = harness({ fallbackAfter: 2 });
    h.transport.subscribe('dags', { dag_id: 'd9' });
    h.transport.subscribe('agents');
    h.transport.start();
    h.sockets[0].drop();
    h.fireReconnect();
    h.sockets[1].drop();

    expect(h.states.at(-1)).toBe('fallback');
    expect(h.sources.map((s) => s.url)).toEqual(['/api/v1/dags/d9/stream']);
    h.sources[0].emit('task_succeeded', {
      seq: 12, aggregate_type: 'task', aggregate_id: 't1', dag_id: 'd9', version: 4, event_type: 'task_succeeded', data: { output: 'x' }, created_at: '2026-11-27T00:00:00Z',
    });
    expect(h.events.at(-1)).toMatchObject({ seq: 12, channel: 'tasks', event_type: 'task_succeeded', aggregate_id: 't1', dag_id: 'd9' });

    // Still retried, at the longest backoff; when it opens, SSE stops and the socket resumes from seq 12.
    expect(h.fireReconnect()).toBe(1000);
    h.sockets[2].open();
    expect(h.sources[0].closed).toBe(true);
    expect(h.sockets[2].sent).toEqual([
      { type: 'subscribe', id: 's1', channel: 'dags', filter: { dag_id: 'd9' }, since: 12 },
      { type: 'subscribe', id: 's2', channel: 'agents' },
    ]);
    expect(h.states.at(-1)).toBe('live');
  });

  it('unsubscribes: no resubscribe after a reconnect', () => {
    const h = harness();
    const off = h.transport.subscribe('approvals');
    h.transport.start();
    h.sockets[0].open();
    off();
    expect(h.sockets[0].sent.at(-1)).toEqual({ type: 'unsubscribe', id: 's1' });
    h.sockets[0].drop();
    h.fireReconnect();
    h.sockets[1].open();
    expect(h.sockets[1].sent).toEqual([]);
  });

  it('shares one subscription between holders of the same channel and filter until the last lets go', () => {
    const h = harness();
    h.transport.start();
    h.sockets[0].open();
    const first = h.transport.subscribe('approvals');
    const second = h.transport.subscribe('approvals');
    expect(h.sockets[0].sent).toEqual([{ type: 'subscribe', id: 's1', channel: 'approvals' }]);

    first();
    first();
    expect(h.sockets[0].sent).toHaveLength(1);
    second();
    expect(h.sockets[0].sent.at(-1)).toEqual({ type: 'unsubscribe', id: 's1' });
  });
});
