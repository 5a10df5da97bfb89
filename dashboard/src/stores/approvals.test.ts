import { beforeEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../live/events';
import { useApprovals } from './approvals';

const ev = (seq: number, event_type: string, id: string, data: Record<string, unknown> = {}): LiveEvent => ({
  seq, channel: 'approvals', event_type, aggregate_type: 'approval', aggregate_id: id, data, created_at: '2026-11-27T00:00:00Z',
});

describe('useApprovals', () => {
  beforeEach(() => useApprovals.setState({ pending: [], loaded: true }));

  it('adds requested approvals and drops them once decided, expired or cancelled', () => {
    const requested = { task_id: 't1', attempt: 1, action: 'tool_call', tool: 'http_fetch', args_hash: 'abc', risk: 'high', summary: 'GET example.com', expires_at: '2026-11-28T00:00:00Z' };
    useApprovals.getState().applyEvents([ev(1, 'approval_requested', 'a1', requested), ev(2, 'approval_requested', 'a2', { ...requested, task_id: 't2' })]);
    expect(useApprovals.getState().pending.map((a) => [a.id, a.tool, a.risk, a.status])).toEqual([
      ['a2', 'http_fetch', 'high', 'pending'],
      ['a1', 'http_fetch', 'high', 'pending'],
    ]);
    useApprovals.getState().applyEvents([ev(3, 'approval_granted', 'a1'), ev(4, 'approval_requested', 'a2', requested)]);
    expect(useApprovals.getState().pending.map((a) => a.id)).toEqual(['a2']);
    useApprovals.getState().applyEvents([ev(5, 'approval_expired', 'a2')]);
    expect(useApprovals.getState().pending).toEqual([]);
  });
});
