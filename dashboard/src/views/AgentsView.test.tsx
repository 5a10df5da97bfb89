import { act, fireEvent, render, screen } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Agent } from '../api/types';
import { flush, ingest } from '../live/feed';
import { useAgents } from '../stores/agents';
import { AgentsView } from './AgentsView';

const agent = (i: number): Agent => ({
  id: `id-${i}`, name: `agent-${String(i).padStart(4, '0')}`, provider: 'simulated', model: i % 2 ? 'large' : 'small', max_concurrency: 4, cascade: [],
});

describe('AgentsView', () => {
  beforeEach(() => {
    useAgents.getState().reset();
    useAgents.setState({ definitions: Array.from({ length: 1200 }, (_, i) => agent(i)), load: async () => undefined });
  });

  it('renders only a window of rows however many agents there are', () => {
    render(<AgentsView />);
    expect(screen.getByTestId('agent-count').textContent).toBe('1200 of 1200 agents, 0 busy');
    expect(screen.queryAllByTestId('agent-row').length).toBeLessThan(100);
  });

  it('filters by model and by the status live events give', () => {
    render(<AgentsView />);
    act(() => {
      ingest([
        { seq: 1, channel: 'agents', event_type: 'task_started', aggregate_type: 'task', aggregate_id: 't1', agent: 'agent-0001', data: { attempt: 1 } },
        { seq: 2, channel: 'agents', event_type: 'task_started', aggregate_type: 'task', aggregate_id: 't2', agent: 'agent-0002', data: { attempt: 1 } },
        { seq: 3, channel: 'agents', event_type: 'task_failed', aggregate_type: 'task', aggregate_id: 't2', agent: 'agent-0002', data: { attempt: 1 } },
      ]);
      flush();
    });
    expect(screen.getByTestId('agent-count').textContent).toBe('1200 of 1200 agents, 1 busy');

    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'busy' } });
    expect(screen.getByTestId('agent-count').textContent).toBe('1 of 1200 agents, 1 busy');
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'error' } });
    expect(screen.getByTestId('agent-count').textContent).toBe('1 of 1200 agents, 1 busy');
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'all' } });
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'large' } });
    expect(screen.getByTestId('agent-count').textContent).toBe('600 of 1200 agents, 1 busy');
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'agent-000' } });
    expect(screen.getByTestId('agent-count').textContent).toBe('5 of 1200 agents, 1 busy');
  });
});
