/** Dollars; small amounts (what a simulated or cheap model costs) get up to six decimals instead of rounding to $0.00. */
export const usd = (v: number | null | undefined, digits = 4) =>
  v === null || v === undefined
    ? '—'
    : `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: v !== 0 && Math.abs(v) < 0.01 ? Math.max(digits, 6) : digits })}`;

export const int = (v: number | null | undefined) => (v === null || v === undefined ? '—' : Math.round(v).toLocaleString('en-US'));

export const ms = (v: number | null | undefined) =>
  v === null || v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;

export const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)} %`);

export const time = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString('en-GB', { hour12: false }) : '—');

export const shortId = (id: string) => id.slice(0, 8);

export function duration(from?: string | null, to?: string | null): number | undefined {
  if (!from) return undefined;
  const end = to ? Date.parse(to) : Date.now();
  return Math.max(0, end - Date.parse(from));
}
