import dagre from '@dagrejs/dagre';

export interface GraphNode {
  id: string;
  dependsOn: string[];
}

export interface Positioned {
  id: string;
  x: number;
  y: number;
}

export const nodeWidth = 180;
export const nodeHeight = 56;

/** Left-to-right layered layout (dagre); positions are the nodes' top-left corners, as React Flow wants them. */
export function layout(nodes: GraphNode[]): Map<string, Positioned> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 60, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) {
    g.setNode(n.id, { width: nodeWidth, height: nodeHeight });
  }
  for (const n of nodes) {
    for (const d of n.dependsOn) {
      if (ids.has(d) && d !== n.id) g.setEdge(d, n.id);
    }
  }
  dagre.layout(g);
  const result = new Map<string, Positioned>();
  for (const n of nodes) {
    const p = g.node(n.id) as { x: number; y: number } | undefined;
    result.set(n.id, { id: n.id, x: (p?.x ?? 0) - nodeWidth / 2, y: (p?.y ?? 0) - nodeHeight / 2 });
  }
  return result;
}

/**
 * The critical path: the chain of dependencies with the largest total weight (a node's duration when known, else 1),
 * i.e. what bounds the DAG's finishing time. Nodes in a cycle (an invalid DAG) are left out.
 */
export function criticalPath(nodes: GraphNode[], weight: (id: string) => number = () => 1): string[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indegree = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    for (const d of n.dependsOn) {
      if (!byId.has(d) || d === n.id) continue;
      indegree.set(n.id, (indegree.get(n.id) ?? 0) + 1);
      dependents.set(d, [...(dependents.get(d) ?? []), n.id]);
    }
  }
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const best = new Map<string, number>();
  const previous = new Map<string, string>();
  for (const id of queue) best.set(id, weight(id));
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    for (const next of dependents.get(id) ?? []) {
      const candidate = (best.get(id) ?? 0) + weight(next);
      if (candidate > (best.get(next) ?? -Infinity)) {
        best.set(next, candidate);
        previous.set(next, id);
      }
      const remaining = (indegree.get(next) ?? 0) - 1;
      indegree.set(next, remaining);
      if (remaining === 0) queue.push(next);
    }
  }
  let end: string | undefined;
  for (const id of queue) {
    if (end === undefined || (best.get(id) ?? 0) > (best.get(end) ?? 0)) end = id;
  }
  const path: string[] = [];
  for (let id = end; id !== undefined; id = previous.get(id)) path.unshift(id);
  return path;
}
