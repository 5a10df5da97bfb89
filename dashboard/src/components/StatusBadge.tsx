/** A status as text plus colour (never colour alone), for tasks, DAGs, agents and approvals. */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {status.replace('_', ' ')}
    </span>
  );
}
