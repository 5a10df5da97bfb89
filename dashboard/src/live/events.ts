import type { TaskEvent, TaskStatus, DagStatus } from '../api/types';

export type Channel = 'tasks' | 'dags' | 'agents' | 'approvals';

export interface Filter {
  dag_id?: string;
  task_id?: string;
  agent?: string;
}

/**
 * One event as the stores see it, whatever carried it (WebSocket, SSE or the in-page feed): the WebSocket's
 * `{type:"event", seq, channel, event_type, aggregate_type, aggregate_id, dag_id, agent, data, created_at}`.
 * `seq` is 0 for live-only events (output deltas, tool calls), which are never stored and never replayed.
 */
export interface LiveEvent {
  seq: number;
  channel: Channel;
  event_type: string;
  aggregate_type?: string;
  aggregate_id?: string;
  dag_id?: string | null;
  agent?: string;
  data: Record<string, unknown>;
  created_at?: string;
}

const taskTransitions: Record<string, TaskStatus> = {
  task_queued: 'queued',
  task_started: 'running',
  task_retry_scheduled: 'queued',
  task_requeued: 'queued',
  task_retried: 'queued',
  task_awaiting_approval: 'awaiting_approval',
  task_approved: 'queued',
  task_succeeded: 'succeeded',
  task_failed: 'failed',
  task_cancelled: 'cancelled',
  task_skipped: 'skipped',
};

const dagTransitions: Record<string, DagStatus> = {
  dag_created: 'pending',
  dag_started: 'running',
  dag_reopened: 'running',
  dag_succeeded: 'succeeded',
  dag_failed: 'failed',
  dag_cancelled: 'cancelled',
};

/** The task status an event leaves its task in, or undefined for events that do not change it. */
export function taskStatusAfter(e: LiveEvent): TaskStatus | undefined {
  if (e.event_type === 'task_created') {
    return (e.data.status as TaskStatus | undefined) ?? 'pending';
  }
  return taskTransitions[e.event_type];
}

export function dagStatusAfter(e: LiveEvent): DagStatus | undefined {
  return dagTransitions[e.event_type];
}

export const isTaskEvent = (e: LiveEvent) =>
  e.aggregate_type === 'task' || (e.aggregate_type === undefined && (e.event_type.startsWith('task_') || liveOnly.has(e.event_type)));

export const liveOnly = new Set(['output_delta', 'contract_warning', 'cascade_decision', 'tool_called']);

/** Every event type a task or DAG stream can carry (SSE needs the names to listen to). */
export const streamEventTypes = [
  'task_created',
  'task_queued',
  'task_started',
  'task_retry_scheduled',
  'task_requeued',
  'task_retried',
  'task_succeeded',
  'task_failed',
  'task_cancelled',
  'task_skipped',
  'task_result_ignored',
  'task_awaiting_approval',
  'task_approved',
  'dag_created',
  'dag_started',
  'dag_succeeded',
  'dag_failed',
  'dag_cancelled',
  'dag_reopened',
  ...liveOnly,
];

const channelOf = (aggregateType: string): Channel =>
  aggregateType === 'dag' ? 'dags' : aggregateType === 'approval' ? 'approvals' : 'tasks';

/** An event of the REST history or an SSE stream (TaskEventResponse). */
export function fromTaskEvent(e: TaskEvent): LiveEvent {
  return {
    seq: e.seq ?? 0,
    channel: channelOf(e.aggregate_type),
    event_type: e.event_type,
    aggregate_type: e.aggregate_type,
    aggregate_id: e.aggregate_id,
    dag_id: e.dag_id,
    data: (e.data ?? {}) as Record<string, unknown>,
    created_at: e.created_at,
  };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

/** A WebSocket `event` message (docs/websocket.md): the envelope's fields beside the stored payload in `data`. */
export function fromWsMessage(m: Record<string, unknown>): LiveEvent | undefined {
  if (m.type !== 'event' || typeof m.event_type !== 'string') {
    return undefined;
  }
  return {
    seq: typeof m.seq === 'number' ? m.seq : 0,
    channel: (str(m.channel) as Channel | undefined) ?? 'tasks',
    event_type: m.event_type,
    aggregate_type: str(m.aggregate_type),
    aggregate_id: str(m.aggregate_id),
    dag_id: str(m.dag_id) ?? null,
    agent: str(m.agent),
    data: (m.data && typeof m.data === 'object' ? m.data : {}) as Record<string, unknown>,
    created_at: str(m.created_at),
  };
}

export function matches(filter: Filter | undefined, e: LiveEvent): boolean {
  if (!filter) {
    return true;
  }
  if (filter.task_id && e.aggregate_id !== filter.task_id) {
    return false;
  }
  if (filter.dag_id && e.dag_id !== filter.dag_id && e.aggregate_id !== filter.dag_id) {
    return false;
  }
  if (filter.agent && e.agent !== undefined && e.agent !== filter.agent) {
    return false;
  }
  return true;
}
