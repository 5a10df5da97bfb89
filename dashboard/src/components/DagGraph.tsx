import { Background, Controls, Handle, Position, ReactFlow, type Edge, type Node, type NodeProps } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { criticalPath, layout, type GraphNode } from '../lib/graph';
import { useTheme } from '../stores/theme';

export interface GraphTask extends GraphNode {
  label: string;
  status?: string;
  errors?: string[];
}

type TaskNodeData = { label: string; status?: string; critical: boolean; errors?: string[] };

const TaskNode = memo(function TaskNode({ data }: NodeProps<Node<TaskNodeData>>) {
  const cls = ['dag-node', data.status ? `status-${data.status}` : 'status-pending', data.critical ? 'critical' : '', data.errors?.length ? 'invalid' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={cls} data-testid="dag-node" data-key={data.label} data-status={data.status ?? ''} title={data.errors?.join('\n')}>
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="key">{data.label}</div>
      {data.errors?.length ? (
        <div className="node-error" role="alert">{data.errors[0]}</div>
      ) : (
        <div>{data.status ? data.status.replace('_', ' ') : ''}{data.critical ? ' · critical' : ''}</div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

const nodeTypes = { task: TaskNode };

/**
 * A DAG drawn with React Flow, laid out by dagre (left to right), nodes coloured by status and the critical path
 * (longest chain by `weight`) outlined. Nodes are buttons: Enter or a click opens them.
 */
export function DagGraph({ tasks, weight, onOpen, small, label }: {
  tasks: GraphTask[];
  weight?: (id: string) => number;
  onOpen?: (id: string) => void;
  small?: boolean;
  label: string;
}) {
  const theme = useTheme((s) => s.theme);
  const structure = tasks.map((t) => `${t.id}<${t.dependsOn.join(',')}`).join(';');
  // eslint-disable-next-line react-hooks/exhaustive-deps -- re-laid out only when the structure changes
  const positions = useMemo(() => layout(tasks), [structure]);
  const critical = useMemo(() => new Set(criticalPath(tasks, weight)), [tasks, weight]);
  const nodes: Node<TaskNodeData>[] = useMemo(
    () =>
      tasks.map((t) => ({
        id: t.id,
        type: 'task',
        position: positions.get(t.id) ?? { x: 0, y: 0 },
        data: { label: t.label, status: t.status, critical: critical.has(t.id), errors: t.errors },
        draggable: false,
        connectable: false,
        ariaLabel: `${t.label}: ${t.status ?? 'not submitted'}${critical.has(t.id) ? ', on the critical path' : ''}${t.errors?.length ? `, error: ${t.errors[0]}` : ''}`,
      })),
    [tasks, positions, critical],
  );
  const edges: Edge[] = useMemo(() => {
    const ids = new Set(tasks.map((t) => t.id));
    return tasks.flatMap((t) =>
      t.dependsOn
        .filter((d) => ids.has(d))
        .map((d) => ({
          id: `${d}->${t.id}`,
          source: d,
          target: t.id,
          className: critical.has(d) && critical.has(t.id) ? 'critical' : undefined,
          animated: t.status === 'running',
        })),
    );
  }, [tasks, critical]);

  return (
    <div
      className={small ? 'graph small' : 'graph'}
      role="region"
      aria-label={label}
      onKeyDown={(e) => {
        const node = (e.target as HTMLElement).closest?.('.react-flow__node') as HTMLElement | null;
        if (e.key === 'Enter' && node?.dataset.id) onOpen?.(node.dataset.id);
      }}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        colorMode={theme}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        minZoom={0.05}
        nodesDraggable={false}
        nodesConnectable={false}
        onlyRenderVisibleElements={tasks.length > 300}
        onNodeClick={(_, node) => onOpen?.(node.id)}
        proOptions={{ hideAttribution: false }}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
