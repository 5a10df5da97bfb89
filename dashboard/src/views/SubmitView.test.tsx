import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { SubmitView } from './SubmitView';

describe('SubmitView', () => {
  it('checks the text as it is typed and only lets a parsable DAG be submitted', () => {
    render(<SubmitView />);
    const spec = screen.getByLabelText('DAG specification');
    const submit = screen.getByRole('button', { name: 'Submit DAG' });
    expect(screen.getByRole('status').textContent).toBe('YAML, 3 tasks.');

    fireEvent.change(spec, { target: { value: 'tasks: [' } });
    expect(screen.getByRole('status').textContent).toMatch(/^YAML: /);
    expect(submit).toHaveProperty('disabled', true);
    expect(spec.getAttribute('aria-invalid')).toBe('true');

    fireEvent.change(spec, { target: { value: '{"name":"j","tasks":[{"id":"a","instruction":"A"}]}' } });
    expect(screen.getByRole('status').textContent).toBe('JSON, 1 tasks.');
    expect(submit).toHaveProperty('disabled', false);
  });
});
