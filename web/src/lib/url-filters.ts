/**
 * Filters kept in the URL (the event log, an app's runs): the time ranges offered, the conversion
 * between ISO times and datetime-local inputs, and the change of a filter (which starts again at
 * the first page).
 */
export const RANGES: Record<string, { label: string; ms?: number }> = {
  '': { label: 'Any time' },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 hours', ms: 86_400_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 86_400_000 },
  custom: { label: 'Custom range…' },
};

/** ISO → the value of a datetime-local input (local time), and back. */
export const toLocalInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
export const fromLocalInput = (v: string) => (v ? new Date(v).toISOString() : '');

/** The URL's time range (`range`, or `since`/`until`) as the bounds the API takes. */
export function timeBoundsFrom(params: URLSearchParams): { since?: string; until?: string } {
  const range = params.get('range') ?? '';
  const preset = RANGES[range]?.ms;
  if (preset) return { since: new Date(Date.now() - preset).toISOString() };
  if (range === 'custom' || params.get('since') || params.get('until')) {
    return { since: params.get('since') || undefined, until: params.get('until') || undefined };
  }
  return {};
}

/** The range the URL names; a URL with only `since`/`until` is a custom range. */
export const rangeFrom = (params: URLSearchParams) => params.get('range') ?? (params.get('since') || params.get('until') ? 'custom' : '');

/** The URL with the filters changed (an empty value removes one), back at the first page. */
export function withFilters(params: URLSearchParams, changes: Record<string, string>): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v) next.set(k, v);
    else next.delete(k);
  }
  next.delete('cursor');
  return next;
}
