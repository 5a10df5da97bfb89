import { describe, expect, it } from 'vitest';
import { criticalPath, layout, nodeWidth } from './graph';

const diamond = [
  { id: 'a', dependsOn: [] },
  { id: 'b', dependsOn: ['a'] },
  { id: 'c', dependsOn: ['a'] },
  { id: 'd', dependsOn: ['b', 'c'] },
];

describe('criticalPath', () => {
  it('follows the heaviest chain of dependencies', () => {
    const durations: Record<string, number> = { a: 10, b: 5, c: 50, d: 10 };
    expect(criticalPath(diamond, (id) => durations[id])).toEqual(['a', 'c', 'd']);
    durations.b = 500;
    expect(criticalPath(diamond, (id) => durations[id])).toEqual(['a', 'b', 'd']);
  });

  it('counts nodes when durations are unknown, and ignores unknown dependencies', () => {
    const nodes = [{ id: 'x', dependsOn: ['ghost'] }, { id: 'y', dependsOn: ['x'] }, { id: 'z', dependsOn: [] }];
    expect(criticalPath(nodes)).toEqual(['x', 'y']);
  });
});

describe('layout', () => {
  it('places each node right of its dependencies', () => {
    const p = layout(diamond);
    expect(p.get('b')!.x).toBeGreaterThanOrEqual(p.get('a')!.x + nodeWidth);
    expect(p.get('d')!.x).toBeGreaterThanOrEqual(p.get('c')!.x + nodeWidth);
    expect(p.get('b')!.y).not.toBe(p.get('c')!.y);
  });
});
