/** A number with its label, optionally a link (e.g. "3 dead" → the dead deliveries). */
import type { ReactNode } from 'react';
import { Link } from 'react-router';

export function Stat({ label, value, to, tone, hint }: { label: string; value: ReactNode; to?: string; tone?: 'danger' | 'warning' | 'success'; hint?: string }) {
  const body = (
    <>
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
      {hint && <span className="stat-hint">{hint}</span>}
    </>
  );
  const className = `stat${tone ? ` stat-${tone}` : ''}`;
  return to ? (
    <Link to={to} className={`${className} stat-link`}>
      {body}
    </Link>
  ) : (
    <div className={className}>{body}</div>
  );
}
