/** The event log as a table (cards on narrow screens), and the live tail's indicator. */
import { Link } from 'react-router';
import type { EventItem } from '../api/types';
import type { LiveState } from '../lib/use-live-tail';
import { eventName, shortId } from '../lib/format';
import { PauseIcon, PlayIcon } from './icons';
import { StatusBadge } from './status-badge';
import { RelativeTime } from './time';

export function EventTable({ rows, fresh, showRepository = true }: { rows: EventItem[]; fresh?: Set<string>; showRepository?: boolean }) {
  return (
    <div className="table-wrap">
      <table className="table responsive event-table">
        <caption className="visually-hidden">Events</caption>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Event</th>
            {showRepository && <th scope="col">Repository</th>}
            <th scope="col">Actor</th>
            <th scope="col">Received</th>
            <th scope="col">Delivery</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.id} className={fresh?.has(e.id) ? 'row-new' : undefined} data-delivery={e.delivery_id}>
              <td data-label="Status">
                <StatusBadge status={e.processing_status} />
                {e.retry_count > 0 && e.processing_status !== 'processed' && (
                  <span className="muted small" title={e.error_message ?? undefined}>
                    {' '}
                    ×{e.retry_count}
                  </span>
                )}
              </td>
              <td data-label="Event" className="cell-primary">
                <Link to={`/events/${encodeURIComponent(e.delivery_id)}`} className="event-link">
                  {eventName(e.event_type, e.event_action)}
                </Link>
              </td>
              {showRepository && (
                <td data-label="Repository">
                  {e.repository ? (
                    <Link to={`/repositories/${e.repository}`} className="subtle-link">
                      {e.repository}
                    </Link>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
              )}
              <td data-label="Actor">{e.actor ?? <span className="muted">—</span>}</td>
              <td data-label="Received">
                <RelativeTime iso={e.received_at} />
              </td>
              <td data-label="Delivery">
                <code className="mono muted" title={e.delivery_id}>
                  {shortId(e.delivery_id)}
                </code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

const LIVE_TEXT: Record<LiveState, string> = { off: 'Live updates off', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };

export function LiveIndicator({ state, paused, onToggle, waiting }: { state: LiveState; paused: boolean; onToggle?: () => void; waiting: number }) {
  const shown = paused ? 'Paused' : LIVE_TEXT[state];
  return (
    <div className="live">
      <span className={`live-dot live-${paused ? 'paused' : state}`} aria-hidden="true" />
      <span role="status" aria-live="polite" className="live-text">
        {shown}
        {paused && waiting > 0 ? ` · ${waiting} new` : ''}
      </span>
      {onToggle && state !== 'off' && (
        <button type="button" className="button small ghost" onClick={onToggle} aria-pressed={paused}>
          {paused ? <PlayIcon size={14} /> : <PauseIcon size={14} />}
          <span>{paused ? (waiting > 0 ? `Show ${waiting} new` : 'Resume') : 'Pause'}</span>
        </button>
      )}
    </div>
  );
}
