import type { LiveEvent } from '../live/events';

/**
 * Applies a batch of events to the entries of `byId` they concern, copying the record once and only if something
 * changed; returns `byId` itself otherwise, so subscribers are not woken for nothing.
 */
export function applyBatch<T>(
  byId: Record<string, T>,
  events: LiveEvent[],
  keyOf: (e: LiveEvent) => string | null | undefined,
  apply: (entry: T, e: LiveEvent) => T,
): Record<string, T> {
  let next: Record<string, T> | undefined;
  for (const e of events) {
    const key = keyOf(e);
    const entry = key ? (next ?? byId)[key] : undefined;
    if (!key || entry === undefined) {
      continue;
    }
    const updated = apply(entry, e);
    if (updated !== entry) {
      next ??= { ...byId };
      next[key] = updated;
    }
  }
  return next ?? byId;
}
