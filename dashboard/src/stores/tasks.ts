import { create } from 'zustand';
import { applyBatch } from './applyBatch';
import { api } from '../api/client';
import type { Task, Usage } from '../api/types';
import { isTaskEvent, taskStatusAfter, type LiveEvent } from '../live/events';

export interface TaskView extends Task {
  /** Output of the current attempt as the model writes it (output_delta), until the task's final output arrives. */
  streaming: string;
  /** Highest stored seq applied: events at or below it are replays and are skipped. */
  lastSeq: number;
  /** Stored events seen for it, oldest first (REST history merged with live events). */
  timeline: LiveEvent[];
  /** performance.now() when a live event last changed it: a REST read sent before then may be stale. */
  liveAt: number;
}

interface TasksState {
  byId: Record<string, TaskView>;
  /** A task read over REST; `requestedAt` (performance.now() when the read was sent) guards against stale reads. */
  upsert: (task: Task, requestedAt?: number) => void;
  load: (id: string) => Promise<TaskView>;
  loadHistory: (id: string) => Promise<void>;
  applyEvents: (events: LiveEvent[]) => void;
}

const emptyUsage: Usage = { input_tokens: 0, output_tokens: 0, cost_usd: 0, api_calls: 0 };

function addUsage(u: Usage, delta: unknown): Usage {
  if (!delta || typeof delta !== 'object') {
    return u;
  }
  const d = delta as Partial<Usage>;
  return {
    input_tokens: u.input_tokens + (d.input_tokens ?? 0),
    output_tokens: u.output_tokens + (d.output_tokens ?? 0),
    cost_usd: u.cost_usd + (d.cost_usd ?? 0),
    api_calls: u.api_calls + (d.api_calls ?? 0),
  };
}

/** One event applied to one task; pure, so the store and its tests agree. */
export function applyTaskEvent(task: TaskView, e: LiveEvent): TaskView {
  if (e.seq > 0 && e.seq <= task.lastSeq) {
    return task;
  }
  const next: TaskView = { ...task };
  if (e.seq > 0) {
    next.lastSeq = e.seq;
    next.timeline = [...task.timeline, e];
  }
  const status = taskStatusAfter(e);
  if (status) {
    next.status = status;
  }
  const d = e.data;
  switch (e.event_type) {
    case 'task_queued':
      if (typeof d.instruction === 'string') next.instruction = d.instruction;
      break;
    case 'task_started':
      next.attempt = typeof d.attempt === 'number' ? d.attempt : task.attempt + 1;
      next.streaming = '';
      next.started_at = e.created_at ?? task.started_at;
      next.error = null;
      break;
    case 'output_delta':
      if (typeof d.text === 'string' && (typeof d.attempt !== 'number' || d.attempt === next.attempt || next.attempt === 0)) {
        next.streaming = task.streaming + d.text;
      }
      break;
    case 'task_succeeded':
      next.output = typeof d.output === 'string' ? d.output : task.output;
      next.usage = addUsage(task.usage, d.usage);
      next.finished_at = e.created_at ?? task.finished_at;
      break;
    case 'task_failed':
    case 'task_cancelled':
    case 'task_skipped':
    case 'task_retry_scheduled':
      next.error = (d.error as Task['error']) ?? task.error;
      next.usage = addUsage(task.usage, d.usage);
      if (e.event_type !== 'task_retry_scheduled') next.finished_at = e.created_at ?? task.finished_at;
      break;
    case 'task_awaiting_approval':
    case 'task_result_ignored':
      next.usage = addUsage(task.usage, d.usage);
      break;
    case 'task_retried':
      next.finished_at = null;
      next.error = null;
      next.output = null;
      if (typeof d.max_attempts === 'number') next.max_attempts = d.max_attempts;
      break;
  }
  return next;
}

const view = (task: Task, previous?: TaskView): TaskView => ({
  ...task,
  usage: task.usage ?? emptyUsage,
  streaming: previous?.streaming ?? '',
  lastSeq: previous?.lastSeq ?? 0,
  timeline: previous?.timeline ?? [],
  liveAt: previous?.liveAt ?? 0,
});

/** Tasks the dashboard looks at (opened, or in an opened DAG): only those are tracked, so a busy server costs nothing. */
export const useTasks = create<TasksState>((set, get) => ({
  byId: {},
  upsert: (task, requestedAt = Infinity) =>
    set((s) => {
      const previous = s.byId[task.id];
      // Sent before a live event changed the task: the answer may predate it (the next read will be newer).
      if (previous && previous.liveAt >= requestedAt) {
        return s;
      }
      return { byId: { ...s.byId, [task.id]: view(task, previous) } };
    }),
  load: async (id) => {
    const requestedAt = performance.now();
    get().upsert(await api.task(id), requestedAt);
    return get().byId[id];
  },
  loadHistory: async (id) => {
    let cursor: string | undefined;
    const events: LiveEvent[] = [];
    do {
      const page = await api.taskEvents(id, cursor);
      for (const e of page.items) {
        events.push({
          seq: e.seq,
          channel: 'tasks',
          event_type: e.event_type,
          aggregate_type: 'task',
          aggregate_id: e.aggregate_id,
          dag_id: e.dag_id,
          data: e.data,
          created_at: e.created_at,
        });
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    set((s) => {
      const task = s.byId[id];
      if (!task) {
        return s;
      }
      const seen = new Set(task.timeline.map((e) => e.seq));
      const timeline = [...task.timeline, ...events.filter((e) => !seen.has(e.seq))].sort((a, b) => a.seq - b.seq);
      return { byId: { ...s.byId, [id]: { ...task, timeline, lastSeq: Math.max(task.lastSeq, timeline.at(-1)?.seq ?? 0) } } };
    });
  },
  applyEvents: (events) => {
    const current = get().byId;
    const now = performance.now();
    const next = applyBatch(current, events, (e) => (isTaskEvent(e) ? e.aggregate_id : undefined), (task, e) => {
      const updated = applyTaskEvent(task, e);
      return updated === task ? task : { ...updated, liveAt: now };
    });
    if (next !== current) {
      set({ byId: next });
    }
  },
}));
