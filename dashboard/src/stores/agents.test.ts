import { describe, expect, it } from 'vitest';
import type { LiveEvent } from '../live/events';
import { applyAgentEvents } from './agents';

const ev = (seq: number, event_type: string, task: string, data: Record<string, unknown> = {}, agent?: string): LiveEvent => ({
  seq, channel: 'tasks', event_type, aggregate_type: 'task', aggregate_id: task, agent, data,
});

describe('applyAgentEvents', () => {
  it('derives running count, current task, tokens, cost and status from task events', () => {
    const usage = { input_tokens: 10, output_tokens: 5, cost_usd: 0.5, api_calls: 1 };
    let a = applyAgentEvents({}, [
      ev(1, 'task_created', 'x1', { agent: 'writer', status: 'queued' }),
      ev(2, 'task_created', 'x2', { agent: 'writer', status: 'queued' }),
      ev(3, 'task_started', 'x1'),
      ev(4, 'task_started', 'x2'),
    ], 1);
    expect(a.writer).toMatchObject({ running: 2, status: 'busy', currentTask: 'x2' });

    a = applyAgentEvents(a, [ev(5, 'task_succeeded', 'x1', { usage })], 2);
    expect(a.writer).toMatchObject({ running: 1, status: 'busy', currentTask: 'x2', tokens: 15, costUsd: 0.5, succeeded: 1 });

    a = applyAgentEvents(a, [ev(6, 'task_failed', 'x2', { usage, error: { code: 'timeout' } })], 3);
    expect(a.writer).toMatchObject({ running: 0, status: 'error', currentTask: undefined, tokens: 30, costUsd: 1, failed: 1 });

    a = applyAgentEvents(a, [ev(7, 'task_started', 'x3', {}, 'writer')], 4);
    expect(a.writer).toMatchObject({ running: 1, status: 'busy', currentTask: 'x3' });
  });

  it('returns the same object when no event concerns an agent it knows', () => {
    const before = {};
    expect(applyAgentEvents(before, [ev(1, 'task_started', 'unknown-task'), ev(2, 'dag_started', 'd')], 1)).toBe(before);
  });
});
