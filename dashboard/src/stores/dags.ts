import { create } from 'zustand';
import { applyBatch } from './applyBatch';
import { api } from '../api/client';
import { terminalTaskStatuses, type Dag } from '../api/types';
import { dagStatusAfter, isTaskEvent, taskStatusAfter, type LiveEvent } from '../live/events';

export interface DagView extends Dag {
  /** Highest stored seq applied per aggregate (the DAG and each task): replays and out-of-order copies are skipped. */
  seqs: Record<string, number>;
}

interface DagsState {
  byId: Record<string, DagView>;
  /** Newest first, as the list endpoint gives them. */
  order: string[];
  loadList: () => Promise<void>;
  load: (id: string) => Promise<DagView>;
  upsert: (dag: Dag) => void;
  applyEvents: (events: LiveEvent[]) => void;
}

const terminal = new Set<string>(terminalTaskStatuses);
const dagTerminal = new Set<string>(['succeeded', 'failed', 'cancelled']);

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
    const page = await api.dags({ limit: 100 });
    set((s) => {
      const byId = { ...s.byId };
      for (const d of page.items) {
        const previous = byId[d.id];
        // The list has no tasks; keep those already loaded.
        byId[d.id] = { ...d, tasks: previous?.tasks ?? d.tasks, seqs: previous?.seqs ?? {} };
      }
      return { byId, order: page.items.map((d) => d.id) };
    });
  },
  load: async (id) => {
    get().upsert(await api.dag(id));
    return get().byId[id];
  },
  upsert: (dag) =>
    set((s) => {
      const previous = s.byId[dag.id];
      // A REST read can be older than live events already applied: a task or DAG that ended stays ended.
      const ended = new Map((previous?.tasks ?? []).filter((t) => terminal.has(t.status)).map((t) => [t.id, t.status]));
      const tasks = dag.tasks?.map((t) => (ended.has(t.id) && !terminal.has(t.status) ? { ...t, status: ended.get(t.id)! } : t));
      const status = previous && dagTerminal.has(previous.status) && !dagTerminal.has(dag.status) && previous.seqs[dag.id] ? previous.status : dag.status;
      return {
        byId: { ...s.byId, [dag.id]: { ...dag, status, tasks: tasks ?? previous?.tasks, seqs: previous?.seqs ?? {} } },
        order: s.order.includes(dag.id) ? s.order : [dag.id, ...s.order],
      };
    }),
  applyEvents: (events) => {
    const current = get().byId;
    const next = applyBatch(current, events, (e) => (isTaskEvent(e) ? e.dag_id : e.aggregate_id ?? e.dag_id), applyDagEvent);
    if (next !== current) {
      set({ byId: next });
    }
  },
}));
