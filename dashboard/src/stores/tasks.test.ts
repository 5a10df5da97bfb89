import { beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../api/types';
import { flush, ingest } from '../live/feed';
import type { LiveEvent } from '../live/events';
import { applyTaskEvent, useTasks, type TaskView } from './tasks';

const task = (over: Partial<Task> = {}): Task => ({
  id: 't1', dag_id: 'd1', key: 'draft', name: 'draft', instruction: 'Write.', agent: 'default', status: 'queued', priority: 0,
  attempt: 0, max_attempts: 3, output: null, error: null, usage: { input_tokens: 0, output_tokens: 0, cost_usd: 0, api_calls: 0 },
  limits: {}, created_at: '2026-11-27T00:00:00Z', ...over,
});

const ev = (seq: number, event_type: string, data: Record<string, unknown> = {}): LiveEvent => ({
  seq, channel: 'tasks', event_type, aggregate_type: 'task', aggregate_id: 't1', dag_id: 'd1', data, created_at: '2026-11-27T00:00:01Z',
});

const view = (t: Task): TaskView => ({ ...t, streaming: '', lastSeq: 0, timeline: [], liveAt: 0 });

describe('applyTaskEvent', () => {
  it('streams output deltas of the current attempt, then keeps the final output and usage', () => {
    let t = view(task());
    t = applyTaskEvent(t, ev(10, 'task_started', { attempt: 1, worker: 'w' }));
    t = applyTaskEvent(t, ev(0, 'output_delta', { attempt: 1, text: 'Hel' }));
    t = applyTaskEvent(t, ev(0, 'output_delta', { attempt: 1, text: 'lo' }));
    expect([t.status, t.attempt, t.streaming]).toEqual(['running', 1, 'Hello']);

    t = applyTaskEvent(t, ev(11, 'task_succeeded', { attempt: 1, output: 'Hello, world', usage: { input_tokens: 5, output_tokens: 7, cost_usd: 0.01, api_calls: 1 } }));
    expect(t.status).toBe('succeeded');
    expect(t.output).toBe('Hello, world');
    expect(t.usage).toEqual({ input_tokens: 5, output_tokens: 7, cost_usd: 0.01, api_calls: 1 });
    expect(t.timeline.map((e) => e.event_type)).toEqual(['task_started', 'task_succeeded']);
  });

  it('skips a replayed event (seq at or below the last applied)', () => {
    let t = view(task());
    t = applyTaskEvent(t, ev(10, 'task_started', { attempt: 1 }));
    t = applyTaskEvent(t, ev(11, 'task_succeeded', { attempt: 1, output: 'done' }));
    const again = applyTaskEvent(t, ev(10, 'task_started', { attempt: 1 }));
    expect(again).toBe(t);
    expect(again.status).toBe('succeeded');
  });

  it('starts a new stream on a new attempt and ignores deltas of the old one', () => {
    let t = view(task());
    t = applyTaskEvent(t, ev(10, 'task_started', { attempt: 1 }));
    t = applyTaskEvent(t, ev(0, 'output_delta', { attempt: 1, text: 'first try' }));
    t = applyTaskEvent(t, ev(11, 'task_retry_scheduled', { attempt: 1, error: { code: 'provider_unavailable', message: 'down' }, usage: { input_tokens: 1, output_tokens: 1, cost_usd: 0.001, api_calls: 1 } }));
    expect([t.status, t.error?.code]).toEqual(['queued', 'provider_unavailable']);
    t = applyTaskEvent(t, ev(12, 'task_started', { attempt: 2 }));
    t = applyTaskEvent(t, ev(0, 'output_delta', { attempt: 1, text: 'late' }));
    t = applyTaskEvent(t, ev(0, 'output_delta', { attempt: 2, text: 'second' }));
    expect([t.attempt, t.streaming, t.error]).toEqual([2, 'second', null]);
    expect(t.usage.api_calls).toBe(1);
  });
});

describe('useTasks through the feed', () => {
  beforeEach(() => useTasks.setState({ byId: {} }));

  it('applies a batch to watched tasks only, in one update', () => {
    useTasks.getState().upsert(task());
    let updates = 0;
    const off = useTasks.subscribe(() => updates++);
    ingest([ev(10, 'task_started', { attempt: 1 }), { ...ev(11, 'task_started', { attempt: 1 }), aggregate_id: 'other' }, ev(0, 'output_delta', { attempt: 1, text: 'x' })]);
    flush();
    off();

    expect(updates).toBe(1);
    expect(useTasks.getState().byId.t1).toMatchObject({ status: 'running', streaming: 'x' });
    expect(useTasks.getState().byId.other).toBeUndefined();
  });

  it('does not let a REST read sent before a live event undo it, but takes one sent after (a retry)', () => {
    useTasks.getState().upsert(task({ status: 'running', attempt: 1 }));
    const readSentBefore = performance.now();
    useTasks.getState().applyEvents([ev(11, 'task_cancelled', { attempt: 1, error: { code: 'cancelled', message: 'by user' } })]);
    useTasks.getState().upsert(task({ status: 'running', attempt: 1 }), readSentBefore);
    expect(useTasks.getState().byId.t1.status).toBe('cancelled');

    useTasks.getState().upsert(task({ status: 'queued', attempt: 1 }), performance.now() + 1);
    expect(useTasks.getState().byId.t1.status).toBe('queued');
  });
});
