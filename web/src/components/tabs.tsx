/** Tabs that are links (kept in the URL, so a tab can be shared and Back works). */
import { Link } from 'react-router';

export function LinkTabs({ tabs, current, label }: { tabs: Array<{ id: string; label: string; to: string; count?: number }>; current: string; label: string }) {
  return (
    <nav className="tabs" aria-label={label}>
      {tabs.map((t) => (
        <Link key={t.id} to={t.to} className="tab" aria-current={t.id === current ? 'page' : undefined} replace>
          {t.label}
          {t.count !== undefined && <span className="tab-count">{t.count}</span>}
        </Link>
      ))}
    </nav>
  );
}

/** A segmented control for a small set of choices (state filters). */
export function Segmented<T extends string>({ options, value, onChange, label }: { options: Array<{ value: T; label: string }>; value: T; onChange: (v: T) => void; label: string }) {
  return (
    <div className="segmented" role="group" aria-label={label}>
      {options.map((o) => (
        <button key={o.value} type="button" aria-pressed={o.value === value} className={o.value === value ? 'active' : undefined} onClick={() => onChange(o.value)}>
          {o.label}
        </button>
      ))}
    </div>
  );
}
