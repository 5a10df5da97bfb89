import { useAgents } from '../stores/agents';
import { useApprovals } from '../stores/approvals';
import { useDags } from '../stores/dags';
import { useTasks } from '../stores/tasks';
import type { LiveEvent } from './events';

/**
 * The single path from a transport to the stores: events are queued and applied once per animation frame, in one
 * batch per store, so 10,000 events a second cost one store update per frame, not one per event.
 */
let queue: LiveEvent[] = [];
let scheduled = false;

const schedule: (fn: () => void) => void =
  typeof requestAnimationFrame === 'function' ? (fn) => requestAnimationFrame(() => fn()) : (fn) => setTimeout(fn, 16);

export function ingest(events: LiveEvent[]): void {
  if (events.length === 0) {
    return;
  }
  for (const e of events) queue.push(e);
  if (!scheduled) {
    scheduled = true;
    schedule(flush);
  }
}

/** Applies everything queued now (the frame callback; tests call it directly). */
export function flush(): void {
  scheduled = false;
  if (queue.length === 0) {
    return;
  }
  const batch = queue;
  queue = [];
  useTasks.getState().applyEvents(batch);
  useDags.getState().applyEvents(batch);
  useAgents.getState().applyEvents(batch);
  useApprovals.getState().applyEvents(batch);
}
