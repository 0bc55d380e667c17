/** Loading, empty and error states, and callouts: every list and page uses these. */
import type { ReactNode } from 'react';
import { ApiError } from '../api/client';
import { CheckIcon, ErrorIcon, InfoIcon, WarningIcon } from './icons';

/** A placeholder while something loads (announced politely to screen readers). */
export function Loading({ label = 'Loading…', rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" style={{ width: `${92 - ((i * 17) % 35)}%` }} aria-hidden="true" />
      ))}
    </div>
  );
}

/** A small spinner for buttons and inline waits. */
export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner" role={label ? 'status' : undefined} aria-label={label}>
      <span aria-hidden="true" />
    </span>
  );
}

/** Nothing to show yet, and what to do about it. */
export function EmptyState({ title, children, icon, action }: { title: string; children?: ReactNode; icon?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      {icon && <div className="empty-icon">{icon}</div>}
      <h3>{title}</h3>
      {children && <div className="empty-body">{children}</div>}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}

/** A message for people from any error (the API's message when it sent one). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Something failed: what, and a way to try again. */
export function ErrorState({ error, retry, title = 'Something went wrong' }: { error: unknown; retry?: () => void; title?: string }) {
  const notFound = error instanceof ApiError && error.status === 404;
  return (
    <div className="error-state" role="alert">
      <ErrorIcon size={20} />
      <div>
        <strong>{notFound ? 'Not found' : title}</strong>
        <p>{errorMessage(error)}</p>
        {retry && !notFound && (
          <button type="button" className="button small" onClick={retry}>
            Try again
          </button>
        )}
      </div>
    </div>
  );
}

/** A highlighted note: info, warning or danger. */
export function Callout({ tone = 'info', title, children, role }: { tone?: 'info' | 'warning' | 'danger' | 'success'; title?: ReactNode; children?: ReactNode; role?: 'alert' | 'status' }) {
  const Icon = tone === 'danger' ? ErrorIcon : tone === 'warning' ? WarningIcon : tone === 'success' ? CheckIcon : InfoIcon;
  return (
    <div className={`callout callout-${tone}`} role={role}>
      <Icon size={18} />
      <div>
        {title && <strong className="callout-title">{title}</strong>}
        {children}
      </div>
    </div>
  );
}
