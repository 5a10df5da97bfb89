import { useEffect } from 'react';
import { create } from 'zustand';
import type { Channel, Filter, LiveEvent } from './events';
import { flush, ingest } from './feed';
import { LiveTransport, type ConnectionState } from './transport';

export const useConnection = create<{ state: ConnectionState }>(() => ({ state: 'connecting' }));

let transport: LiveTransport | undefined;

function wsUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/api/v1/ws`;
}

export function startLive(): LiveTransport {
  if (!transport) {
    transport = new LiveTransport({ url: wsUrl(), onEvents: ingest, onState: (state) => useConnection.setState({ state }) });
    transport.start();
    // The in-page entry to the same store path the socket feeds (docs/dashboard.md, "Feed driver"): the FPS test
    // pushes synthetic agent events through it.
    (window as unknown as { __apexLive: unknown }).__apexLive = {
      ingest: (events: LiveEvent[]) => ingest(events),
      flush,
      state: () => transport?.state,
    };
  }
  return transport;
}

/** Subscribes while the component is mounted. */
export function useSubscription(channel: Channel, filter?: Filter, enabled = true): void {
  const key = JSON.stringify(filter ?? {});
  useEffect(() => {
    if (!enabled) {
      return;
    }
    return startLive().subscribe(channel, filter);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the filter's content, not its identity
  }, [channel, key, enabled]);
}

/**
 * Calls `refresh` now and every `ms` while mounted, and again whenever `refresh` changes (pass a stable function: a
 * store action or a useCallback); more often while the socket is not live (polling stands in).
 */
export function usePolling(refresh: () => unknown, ms: number, fallbackMs = Math.min(ms, 2000)): void {
  const state = useConnection((s) => s.state);
  useEffect(() => {
    let stopped = false;
    const run = () => {
      if (!stopped && document.visibilityState !== 'hidden') {
        Promise.resolve(refresh()).catch(() => undefined);
      }
    };
    run();
    const handle = window.setInterval(run, state === 'live' ? ms : fallbackMs);
    return () => {
      stopped = true;
      window.clearInterval(handle);
    };
  }, [refresh, state, ms, fallbackMs]);
}
