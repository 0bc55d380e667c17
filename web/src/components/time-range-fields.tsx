import { useState } from 'react';
import { fromLocalInput, RANGES, rangeFrom, toLocalInput } from '../lib/url-filters';

/**
 * The time-range inputs of a filter bar whose filters live in the URL: a preset applies at once;
 * "Custom range…" opens two datetime-local inputs that apply with the form.
 */
export function useTimeRangeInputs(params: URLSearchParams) {
  const range = rangeFrom(params);
  const [since, setSince] = useState(toLocalInput(params.get('since')));
  const [until, setUntil] = useState(toLocalInput(params.get('until')));
  const [customOpen, setCustomOpen] = useState(range === 'custom');
  return {
    range,
    since,
    setSince,
    until,
    setUntil,
    customOpen,
    setCustomOpen,
    /** Call while rendering when the URL changed (Back, a shared link, "Clear"). */
    syncFrom(next: URLSearchParams) {
      setSince(toLocalInput(next.get('since')));
      setUntil(toLocalInput(next.get('until')));
      setCustomOpen(rangeFrom(next) === 'custom');
    },
    /** What the form's submit adds to the URL: the custom range, when it is open. */
    submitted(): Record<string, string> {
      return customOpen ? { range: 'custom', since: fromLocalInput(since), until: fromLocalInput(until) } : {};
    },
  };
}

export function TimeRangeFields({
  idPrefix,
  label,
  inputs,
  apply,
}: {
  idPrefix: string;
  label: string;
  inputs: ReturnType<typeof useTimeRangeInputs>;
  apply: (changes: Record<string, string>) => void;
}) {
  const { range, since, setSince, until, setUntil, customOpen, setCustomOpen } = inputs;
  return (
    <>
      <div className="field narrow">
        <label htmlFor={`${idPrefix}-range`}>{label}</label>
        <select
          id={`${idPrefix}-range`}
          value={customOpen ? 'custom' : range}
          onChange={(e) => {
            const v = e.target.value;
            if (v === 'custom') setCustomOpen(true);
            else {
              setCustomOpen(false);
              apply({ range: v, since: '', until: '' });
            }
          }}
        >
          {Object.entries(RANGES).map(([k, r]) => (
            <option key={k} value={k}>
              {r.label}
            </option>
          ))}
        </select>
      </div>
      {customOpen && (
        <>
          <div className="field">
            <label htmlFor={`${idPrefix}-since`}>From</label>
            <input id={`${idPrefix}-since`} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor={`${idPrefix}-until`}>To</label>
            <input id={`${idPrefix}-until`} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />
          </div>
        </>
      )}
    </>
  );
}
