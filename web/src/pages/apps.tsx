/**
 * Apps: the Probot apps this Switchyard hosts (SWITCHYARD_APPS, `--app`), each with the events it
 * subscribes to and how its runs went over the last 7 days — runs per day, success rate, p50/p99
 * duration, the last error — counted over the deliveries the viewer may see. Administrators also
 * see the apps that did not load, and why.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api } from '../api/client';
import type { AppStats, HostedApp } from '../api/types';
import { GridIcon } from '../components/icons';
import { PageHeader } from '../components/page';
import { Sparkline } from '../components/sparkline';
import { Callout, EmptyState, ErrorState, Loading } from '../components/states';
import { RelativeTime } from '../components/time';
import { count, duration, plural } from '../lib/format';

/** The dashboard's address of an app's page (not /apps/…: that is where apps serve their own routes). */
export const appPath = (name: string) => `/probot-apps/${encodeURIComponent(name)}`;

/** "97.5%", or a dash when nothing has finished. */
export function successRate(s: AppStats): string {
  if (s.success_rate === null) return '—';
  const pct = s.success_rate * 100;
  return `${Number.isInteger(pct) ? pct : pct.toFixed(1)}%`;
}

/** A duration in milliseconds, as people read it. */
export const ms = (v: number | null | undefined) => (v == null ? '—' : duration(v / 1000));

export function useHostedApps() {
  return useQuery({ queryKey: ['apps'], queryFn: ({ signal }) => api.get('/api/apps', { signal }), refetchInterval: 15_000 });
}

export function AppsPage() {
  const apps = useHostedApps();
  return (
    <>
      <PageHeader title="Apps" subtitle="Probot apps hosted by Switchyard: what each listens to, and how its runs went over the last 7 days" />
      {apps.isPending ? (
        <Loading rows={4} label="Loading apps…" />
      ) : apps.isError ? (
        <ErrorState error={apps.error} retry={() => void apps.refetch()} />
      ) : (
        <>
          {apps.data.failures.length > 0 && (
            <Callout tone="danger" title={`${plural(apps.data.failures.length, 'app')} did not load`}>
              <ul>
                {apps.data.failures.map((f) => (
                  <li key={f.spec}>
                    <strong>{f.name}</strong> <span className="muted small">({f.spec})</span>: {f.reason}
                  </li>
                ))}
              </ul>
            </Callout>
          )}
          {apps.data.items.length === 0 ? (
            <EmptyState title="No Probot apps are loaded" icon={<GridIcon size={28} />}>
              <p>
                Start Switchyard with <code>--app ./my-app</code> (or set <code>SWITCHYARD_APPS</code>) to run a Probot app here, unchanged.
              </p>
            </EmptyState>
          ) : (
            <AppsTable items={apps.data.items} />
          )}
        </>
      )}
    </>
  );
}

function AppsTable({ items }: { items: HostedApp[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Hosted Probot apps</caption>
        <thead>
          <tr>
            <th scope="col">App</th>
            <th scope="col">Events</th>
            <th scope="col">Runs per day</th>
            <th scope="col">Success</th>
            <th scope="col">p50 / p99</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <AppRow key={a.name} app={a} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AppRow({ app: a }: { app: HostedApp }) {
  const s = a.stats;
  const failed = s.runs_per_day.reduce((n, d) => n + d.failed, 0);
  return (
    <tr>
      <td data-label="App" className="cell-primary">
        <Link to={appPath(a.name)}>{a.name}</Link>
        <div className="small muted">{a.routes > 0 ? `${a.spec} · ${plural(a.routes, 'route handler')}` : a.spec}</div>
      </td>
      <td data-label="Events">
        {a.events.length === 0 ? (
          <span className="muted">none (routes only)</span>
        ) : (
          <ul className="warning-chips" aria-label={`Events ${a.name} subscribes to`}>
            {a.events.map((e) => (
              <li key={e}>
                <code className="chip chip-info">{e}</code>
              </li>
            ))}
          </ul>
        )}
      </td>
      <td data-label="Runs per day">
        <Sparkline values={s.runs_per_day.map((d) => d.runs)} days={s.runs_per_day.map((d) => d.day)} label={`Runs per day of ${a.name}`} />
        <div className="small muted">
          {plural(s.runs, 'run')}
          {failed > 0 && <span className="text-danger"> · {count(failed)} failed</span>}
        </div>
      </td>
      <td data-label="Success">{successRate(s)}</td>
      <td data-label="p50 / p99">
        {ms(s.p50_ms)} <span className="muted">/</span> {ms(s.p99_ms)}
      </td>
      <td data-label="Last error">
        {s.last_error ? (
          <>
            <div className="small text-danger error-snippet" title={s.last_error.error}>
              {s.last_error.error}
            </div>
            <Link to={`/events/${s.last_error.delivery_id}`} className="small">
              <RelativeTime iso={s.last_error.at} />
            </Link>
          </>
        ) : (
          <span className="muted">none</span>
        )}
      </td>
    </tr>
  );
}
