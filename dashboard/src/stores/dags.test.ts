import { beforeEach, describe, expect, it } from 'vitest';
import type { Dag } from '../api/types';
import type { LiveEvent } from '../live/events';
import { useDags } from './dags';

const dag = (): Dag => ({
  id: 'd1', name: 'pipeline', status: 'pending', failure_policy: 'fail_fast', task_count: 2, created_at: '2026-11-27T00:00:00Z',
  tasks: [
    { key: 'a', id: 'ta', status: 'queued', depends_on: [] },
    { key: 'b', id: 'tb', status: 'pending', depends_on: ['a'] },
  ],
});

const ev = (seq: number, event_type: string, aggregate_id: string, aggregate_type = 'task'): LiveEvent => ({
  seq, channel: aggregate_type === 'dag' ? 'dags' : 'tasks', event_type, aggregate_type, aggregate_id, dag_id: 'd1', data: {}, created_at: '2026-11-27T00:00:02Z',
});

describe('useDags', () => {
  beforeEach(() => useDags.setState({ byId: {}, order: [] }));

  it('colours nodes as their tasks move and ends with the DAG', () => {
    useDags.getState().upsert(dag());
    useDags.getState().applyEvents([
      ev(1, 'dag_started', 'd1', 'dag'),
      ev(2, 'task_started', 'ta'),
      ev(3, 'task_succeeded', 'ta'),
      ev(4, 'task_queued', 'tb'),
      ev(5, 'task_started', 'tb'),
    ]);
    let d = useDags.getState().byId.d1;
    expect(d.status).toBe('running');
    expect(d.tasks!.map((t) => t.status)).toEqual(['succeeded', 'running']);

    useDags.getState().applyEvents([ev(6, 'task_failed', 'tb'), ev(7, 'dag_failed', 'd1', 'dag')]);
    d = useDags.getState().byId.d1;
    expect([d.status, d.finished_at]).toEqual(['failed', '2026-11-27T00:00:02Z']);
    expect(d.tasks![1].status).toBe('failed');
  });

  it('keeps order per task: a task event older than one already applied to that task is skipped, other tasks are not', () => {
    useDags.getState().upsert(dag());
    useDags.getState().applyEvents([ev(10, 'task_succeeded', 'ta'), ev(8, 'task_started', 'ta'), ev(9, 'task_started', 'tb')]);
    expect(useDags.getState().byId.d1.tasks!.map((t) => t.status)).toEqual(['succeeded', 'running']);
  });

  it('does not let a REST read sent before live events undo them, but takes one sent after', () => {
    useDags.getState().upsert(dag());
    const readSentBefore = performance.now();
    useDags.getState().applyEvents([ev(3, 'task_succeeded', 'ta')]);
    useDags.getState().upsert(dag(), readSentBefore);
    expect(useDags.getState().byId.d1.tasks![0].status).toBe('succeeded');

    useDags.getState().upsert({ ...dag(), status: 'running' }, performance.now() + 1);
    expect(useDags.getState().byId.d1.status).toBe('running');
    expect(useDags.getState().byId.d1.tasks![0].status).toBe('queued');
  });
});
