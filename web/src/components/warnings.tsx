/** A repository's health warnings as small labelled chips. */
import type { OverviewWarning } from '../api/types';
import { ErrorIcon, InfoIcon, WarningIcon } from './icons';

export function WarningChips({ warnings, compact }: { warnings: OverviewWarning[]; compact?: boolean }) {
  if (warnings.length === 0) return <span className="health-ok">Healthy</span>;
  return (
    <ul className="warning-chips">
      {warnings.map((w) => {
        const Icon = w.severity === 'critical' ? ErrorIcon : w.severity === 'warning' ? WarningIcon : InfoIcon;
        return (
          <li key={w.code} className={`chip chip-${w.severity}`} title={w.message}>
            <Icon size={14} />
            <span>{compact ? shortLabel(w) : w.message}</span>
          </li>
        );
      })}
    </ul>
  );
}

function shortLabel(w: OverviewWarning): string {
  const n = /^\d+/.exec(w.message)?.[0];
  switch (w.code) {
    case 'dead_deliveries':
      return `${n ?? ''} dead`.trim();
    case 'failing_deliveries':
      return `${n ?? ''} failing`.trim();
    case 'quiet':
      return w.message.replace(/^Quiet: no events for /, 'Quiet ');
    case 'failing_checks':
      return `${n ?? ''} failing ${n === '1' ? 'check' : 'checks'}`.trim();
    case 'no_events':
      return 'No events yet';
    default:
      return w.message;
  }
}
