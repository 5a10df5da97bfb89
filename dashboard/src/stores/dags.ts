import { create } from 'zustand';
import { applyBatch } from './applyBatch';
import { api } from '../api/client';
import type { Dag } from '../api/types';
import { dagStatusAfter, isTaskEvent, taskStatusAfter, type LiveEvent } from '../live/events';

export interface DagView extends Dag {
  /** Highest stored seq applied per aggregate (the DAG and each task): replays and out-of-order copies are skipped. */
  seqs: Record<string, number>;
  /** performance.now() when a live event last changed it: a REST read sent before then may be stale. */
  liveAt: number;
}

interface DagsState {
  byId: Record<string, DagView>;
  /** Newest first, as the list endpoint gives them. */
  order: string[];
  loadList: () => Promise<void>;
  load: (id: string) => Promise<DagView>;
  /** A DAG read over REST; `requestedAt` (performance.now() when the read was sent) guards against stale reads. */
  upsert: (dag: Dag, requestedAt?: number) => void;
  applyEvents: (events: LiveEvent[]) => void;
}

/** One event applied to one DAG (its own status, or one of its tasks'); pure. */
export function applyDagEvent(dag: DagView, e: LiveEvent): DagView {
  const aggregate = e.aggregate_id ?? dag.id;
  if (e.seq > 0 && e.seq <= (dag.seqs[aggregate] ?? 0)) {
    return dag;
  }
  let next = dag;
  if (isTaskEvent(e)) {
    const status = taskStatusAfter(e);
    if (status && dag.tasks) {
      const index = dag.tasks.findIndex((t) => t.id === e.aggregate_id);
      if (index >= 0 && dag.tasks[index].status !== status) {
        const tasks = dag.tasks.slice();
        tasks[index] = { ...tasks[index], status };
        next = { ...dag, tasks };
      }
    }
  } else {
    const status = dagStatusAfter(e);
    if (status && status !== dag.status) {
      next = { ...dag, status, finished_at: status === 'running' ? null : e.created_at ?? dag.finished_at };
    }
  }
  if (e.seq > 0) {
    next = { ...next, seqs: { ...dag.seqs, [aggregate]: e.seq } };
  }
  return next;
}

export const useDags = create<DagsState>((set, get) => ({
  byId: {},
  order: [],
  loadList: async () => {
    const requestedAt = performance.now();
    const page = await api.dags({ limit: 100 });
    set((s) => {
      const byId = { ...s.byId };
      for (const d of page.items) {
        const previous = byId[d.id];
        if (previous && previous.liveAt >= requestedAt) {
          continue;
        }
        // The list has no tasks; keep those already loaded.
        byId[d.id] = { ...d, tasks: previous?.tasks ?? d.tasks, seqs: previous?.seqs ?? {}, liveAt: previous?.liveAt ?? 0 };
      }
      return { byId, order: page.items.map((d) => d.id) };
    });
  },
  load: async (id) => {
    const requestedAt = performance.now();
    get().upsert(await api.dag(id), requestedAt);
    return get().byId[id];
  },
  upsert: (dag, requestedAt = Infinity) =>
    set((s) => {
      const previous = s.byId[dag.id];
      // Sent before a live event changed the DAG: the answer may predate it (the next read will be newer).
      if (previous && previous.liveAt >= requestedAt) {
        return s;
      }
      return {
        byId: { ...s.byId, [dag.id]: { ...dag, tasks: dag.tasks ?? previous?.tasks, seqs: previous?.seqs ?? {}, liveAt: previous?.liveAt ?? 0 } },
        order: s.order.includes(dag.id) ? s.order : [dag.id, ...s.order],
      };
    }),
  applyEvents: (events) => {
    const current = get().byId;
    const now = performance.now();
    const next = applyBatch(current, events, (e) => (isTaskEvent(e) ? e.dag_id : e.aggregate_id ?? e.dag_id), (dag, e) => {
      const updated = applyDagEvent(dag, e);
      return updated === dag ? dag : { ...updated, liveAt: now };
    });
    if (next !== current) {
      set({ byId: next });
    }
  },
}));
