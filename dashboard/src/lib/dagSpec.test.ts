import { describe, expect, it } from 'vitest';
import { dependenciesOf, parseDag, problemLocations } from './dagSpec';

describe('parseDag', () => {
  it('reads JSON and YAML alike', () => {
    const yaml = parseDag('name: x\ntasks:\n  - id: a\n    instruction: A\n  - id: b\n    instruction: B\n    depends_on: [a]\n');
    const json = parseDag('{"name":"x","tasks":[{"id":"a","instruction":"A"},{"id":"b","instruction":"B","depends_on":["a"]}]}');
    expect(yaml.ok && yaml.format).toBe('yaml');
    expect(json.ok && json.format).toBe('json');
    expect(yaml.ok && json.ok && yaml.spec).toEqual(json.ok && json.spec);
  });

  it('says where the syntax is wrong', () => {
    const bad = parseDag('{"tasks": [');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.error).toMatch(/^JSON: /);
    expect(parseDag('').ok).toBe(false);
    expect(parseDag('- just\n- a list').ok).toBe(false);
  });

  it('merges depends_on with the dependencies edges', () => {
    const parsed = parseDag('{"tasks":[{"id":"a"},{"id":"b","depends_on":["a"]},{"id":"c"}],"dependencies":[{"from":"b","to":"c"}]}');
    expect(parsed.ok && [...dependenciesOf(parsed.spec)]).toEqual([['a', []], ['b', ['a']], ['c', ['b']]]);
  });
});

describe('problemLocations', () => {
  const spec = { tasks: [{ id: 'a', instruction: 'A' }, { id: 'b', instruction: '', depends_on: ['a', 'ghost'] }] };

  it('puts indexed field errors and named nodes on their node', () => {
    const { byNode, general } = problemLocations(
      { code: 'dag_invalid_task', detail: 'Some tasks are invalid.', errors: { 'tasks[1].instruction': ['An instruction is required.'], limits: ['Bad.'] } },
      spec,
    );
    expect([...byNode]).toEqual([['b', ['tasks[1].instruction: An instruction is required.']]]);
    expect(general).toEqual(['limits: Bad.']);
  });

  it('reads "task → missing dependency" node names as the task', () => {
    const { byNode } = problemLocations({ code: 'dag_unknown_dependency', detail: 'Dependencies name tasks that do not exist.', nodes: ['b → ghost'] }, spec);
    expect([...byNode]).toEqual([['b', ['Dependencies name tasks that do not exist.']]]);
  });
});
