/**
 * One pet: its creature and state, health over 30/90/365 days (decay and deaths marked), the
 * analysed commits with each component's points and reason, sync and backfill progress, settings,
 * and the badge snippet for a README.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { api, type Answer, type RequestBody } from '../api/client';
import { CopyButton } from '../components/copy-button';
import { HealthChart, type HealthPoint } from '../components/health-chart';
import { PageHeader, Section } from '../components/page';
import { Callout, ErrorState, Loading, errorMessage } from '../components/states';
import { Badge } from '../components/status-badge';
import { Segmented } from '../components/tabs';
import { RelativeTime } from '../components/time';
import { Creature, HealthBadge } from './pets';

type Pet = Answer<'/api/pets/{owner}/{name}'>;
type Commit = Answer<'/api/pets/{owner}/{name}/commits'>['items'][number];
type PetPatch = RequestBody<'/api/pets/{owner}/{name}', 'patch'>;
type Range = '30' | '90' | '365';
const DAY = 86_400_000;

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));
const deltaTone = (n: number) => (n > 0 ? 'success' : n < 0 ? 'danger' : 'neutral');
const EFFECT: Record<Commit['applied'], string> = { applied: 'moved health', too_old: 'too old to count', dead: 'pet was dead', merge: 'merge' };

/** A path or URL of ours as a same-origin path (the badge preview obeys the page's CSP). */
function localPath(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

export function PetPage() {
  const { owner = '', name = '' } = useParams();
  const path = { owner, name };
  const pet = useQuery({
    queryKey: ['pet', owner, name],
    queryFn: ({ signal }) => api.get('/api/pets/{owner}/{name}', { path, signal }),
    refetchInterval: (q) => (q.state.data && (q.state.data.backfill.status === 'running' || q.state.data.backfill.status === 'pending' || q.state.data.sync.status !== 'idle') ? 3_000 : 30_000),
  });
  if (pet.isPending) return <Loading rows={5} label="Loading the pet…" />;
  if (pet.isError) return <ErrorState error={pet.error} retry={() => void pet.refetch()} title={`No pet for ${owner}/${name}`} />;
  return <PetView pet={pet.data} owner={owner} name={name} />;
}

function PetView({ pet, owner, name }: { pet: Pet; owner: string; name: string }) {
  const queryClient = useQueryClient();
  const path = { owner, name };
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: ['pet', owner, name] });
    await queryClient.invalidateQueries({ queryKey: ['pet-history', owner, name] });
    await queryClient.invalidateQueries({ queryKey: ['pet-commits', owner, name] });
  };
  const revive = useMutation({
    mutationFn: () => api.post('/api/pets/{owner}/{name}/revive', { path }),
    onSuccess: async () => {
      setNotice(`${pet.name} is back, generation ${pet.generation + 1}.`);
      await refresh();
    },
    onError: (e) => setNotice(errorMessage(e)),
  });
  const reanalyze = useMutation({
    mutationFn: (history: boolean) => api.post('/api/pets/{owner}/{name}/reanalyze', { path, body: { history } }),
    onSuccess: async (r) => {
      setNotice(`Requested: ${r.message}.`);
      await refresh();
    },
    onError: (e) => setNotice(errorMessage(e)),
  });
  const dead = pet.life_state === 'dead';
  return (
    <>
      <PageHeader
        eyebrow={
          <>
            Pet of <Link to={`/repositories/${pet.repository}`}>{pet.repository}</Link>
          </>
        }
        title={pet.name}
        subtitle={`A ${pet.entity_type}${pet.type_overridden ? '' : ` (from ${pet.language ?? 'an unknown language'})`}, generation ${pet.generation}`}
        actions={
          <div className="row wrap">
            {dead && (
              <button type="button" className="button primary" onClick={() => revive.mutate()} disabled={revive.isPending}>
                Revive
              </button>
            )}
            <button type="button" className="button" onClick={() => reanalyze.mutate(false)} disabled={reanalyze.isPending}>
              Analyse new commits
            </button>
          </div>
        }
      />
      {notice && (
        <p className="small muted" role="status">
          {notice}
        </p>
      )}
      <div className="card pet-summary">
        <Creature pet={pet} size={128} />
        <dl className="meta">
          <div>
            <dt>Health</dt>
            <dd>
              <HealthBadge pet={pet} />
            </dd>
          </div>
          <div>
            <dt>Life</dt>
            <dd>{dead ? `dead since ${pet.death_date?.slice(0, 10) ?? '?'} (${pet.death_cause ?? 'unknown cause'})` : pet.life_state === 'dying' ? 'dying: health under 20' : 'alive'}</dd>
          </div>
          <div>
            <dt>Last commit</dt>
            <dd>
              <RelativeTime iso={pet.last_commit_at} fallback="none yet" />
            </dd>
          </div>
          <div>
            <dt>Decay</dt>
            <dd>{pet.is_archived ? 'none (archived)' : pet.decay_per_day === 0 ? 'off' : `−${pet.decay_per_day} a day after 3 days without a commit`}</dd>
          </div>
          <div>
            <dt>Branch</dt>
            <dd className="mono">{pet.branch}</dd>
          </div>
          <div>
            <dt>Last sync</dt>
            <dd>
              <RelativeTime iso={pet.sync.last_synced_at} fallback="never" /> {pet.sync.status !== 'idle' && <Badge tone={pet.sync.status === 'failed' ? 'danger' : 'progress'}>{pet.sync.status}</Badge>}
            </dd>
          </div>
        </dl>
      </div>
      {pet.sync.error && (
        <Callout tone="danger" title="The branch could not be fetched" role="alert">
          <p>{pet.sync.error}</p>
          <p className="small">{pet.sync.next_attempt_at ? <>Next attempt <RelativeTime iso={pet.sync.next_attempt_at} />.</> : 'No more automatic attempts: the next push, or “Analyse new commits”, tries again.'} Health is unchanged meanwhile.</p>
        </Callout>
      )}
      <Backfill pet={pet} onRestart={() => reanalyze.mutate(true)} busy={reanalyze.isPending} />
      <HealthSection owner={owner} name={name} pet={pet} />
      <CommitsSection owner={owner} name={name} />
      <BadgeSection pet={pet} />
      <SettingsSection pet={pet} owner={owner} name={name} onSaved={refresh} />
    </>
  );
}

function Backfill({ pet, onRestart, busy }: { pet: Pet; onRestart: () => void; busy: boolean }) {
  const b = pet.backfill;
  const label = { pending: 'waiting to start', running: 'analysing the history', done: 'history analysed', failed: 'history analysis failed', empty: 'no commits yet' }[b.status];
  return (
    <Section
      title="History"
      id="pet-backfill"
      description="Every commit of the branch is analysed once; only the last 90 days move health."
      actions={
        <button type="button" className="button small" onClick={onRestart} disabled={busy || b.status === 'running'}>
          Analyse the whole history again
        </button>
      }
    >
      <div className="pet-progress">
        <progress max={Math.max(1, b.total ?? 1)} value={b.status === 'done' ? Math.max(1, b.total ?? 1) : b.done} aria-label="History analysed" />
        <span className="small">
          {label}: {b.done} of {b.total ?? '?'} commits
          {b.finished_at && (
            <>
              {' '}
              (finished <RelativeTime iso={b.finished_at} />)
            </>
          )}
        </span>
      </div>
      {b.error && <p className="small text-danger">{b.error}</p>}
    </Section>
  );
}

function HealthSection({ owner, name, pet }: { owner: string; name: string; pet: Pet }) {
  const [range, setRange] = useState<Range>('30');
  const history = useQuery({
    queryKey: ['pet-history', owner, name, range],
    queryFn: async ({ signal }) => {
      const since = new Date(Date.now() - Number(range) * DAY).toISOString();
      const items: Answer<'/api/pets/{owner}/{name}/history'>['items'] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 10; i++) {
        const page = await api.get('/api/pets/{owner}/{name}/history', { path: { owner, name }, query: { since, cursor, limit: 1000 }, signal });
        items.push(...page.items);
        if (!page.next_cursor) break;
        cursor = page.next_cursor;
      }
      return { since, items };
    },
  });
  const points = useMemo<HealthPoint[]>(() => {
    if (!history.data) return [];
    const { since, items } = history.data;
    const start = items.length > 0 ? items[0]!.health_before : pet.health;
    return [
      { at: since, health: start, kind: 'start' },
      ...items.map((h) => ({ at: h.occurred_at, health: h.health_after, kind: h.kind, reason: h.reason })),
      { at: new Date().toISOString(), health: pet.health, kind: 'now' },
    ];
  }, [history.data, pet.health]);
  const deaths = history.data?.items.filter((h) => h.kind === 'death').length ?? 0;
  return (
    <Section
      title="Health"
      id="pet-health"
      description={history.data ? `${history.data.items.length} changes in ${range} days${deaths > 0 ? `, ${deaths} death${deaths > 1 ? 's' : ''}` : ''}` : undefined}
      actions={
        <Segmented<Range>
          label="Period"
          value={range}
          onChange={setRange}
          options={[
            { value: '30', label: '30 days' },
            { value: '90', label: '90 days' },
            { value: '365', label: '1 year' },
          ]}
        />
      }
    >
      {history.isPending ? <Loading rows={3} /> : history.isError ? <ErrorState error={history.error} retry={() => void history.refetch()} /> : <HealthChart points={points} label={`Health of ${pet.name} over ${range} days`} />}
    </Section>
  );
}

function CommitsSection({ owner, name }: { owner: string; name: string }) {
  const commits = useInfiniteQuery({
    queryKey: ['pet-commits', owner, name],
    queryFn: ({ pageParam, signal }) => api.get('/api/pets/{owner}/{name}/commits', { path: { owner, name }, query: { limit: 30, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = useMemo(() => commits.data?.pages.flatMap((p) => p.items) ?? [], [commits.data]);
  return (
    <Section title="Commits" id="pet-commits" description="Newest first. Open one to see why: each component's points and reason, and what it found.">
      {commits.isPending ? (
        <Loading rows={4} />
      ) : commits.isError ? (
        <ErrorState error={commits.error} retry={() => void commits.refetch()} />
      ) : items.length === 0 ? (
        <p className="muted">No analysed commit yet.</p>
      ) : (
        <ul className="pet-commits">
          {items.map((c) => (
            <CommitRow key={c.sha} commit={c} owner={owner} name={name} />
          ))}
        </ul>
      )}
      {commits.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void commits.fetchNextPage()} disabled={commits.isFetchingNextPage}>
            {commits.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </Section>
  );
}

function CommitRow({ commit: c, owner, name }: { commit: Commit; owner: string; name: string }) {
  const [open, setOpen] = useState(false);
  const detail = useQuery({
    queryKey: ['pet-commit', owner, name, c.sha],
    queryFn: ({ signal }) => api.get('/api/pets/{owner}/{name}/commits/{sha}', { path: { owner, name, sha: c.sha }, signal }),
    enabled: open,
  });
  return (
    <li className="pet-commit">
      <details onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
        <summary>
          <span className="mono small">{c.sha.slice(0, 8)}</span>
          <span className="pet-commit-subject">{c.subject}</span>
          <Badge tone={deltaTone(c.health_delta)}>{signed(c.health_delta)}</Badge>
          {c.applied !== 'applied' && <span className="small muted">{EFFECT[c.applied]}</span>}
          {c.orphaned && <Badge tone="warning">left the branch</Badge>}
        </summary>
        <div className="pet-commit-detail">
          <p className="small muted">
            {c.author_name}, <RelativeTime iso={c.committed_at} /> · {c.files_changed} files, +{c.additions} −{c.deletions} · quality {c.overall_quality_score.toFixed(0)}/100
            {c.applied === 'applied' && c.applied_delta !== c.health_delta ? ` · moved health by ${signed(c.applied_delta)} (0–100 bounds)` : ''}
          </p>
          <table className="table pet-breakdown">
            <caption className="visually-hidden">Components of {c.sha.slice(0, 8)}</caption>
            <tbody>
              {Object.entries(c.breakdown).map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td className={`mono pet-points ${v.points > 0 ? 'up' : v.points < 0 ? 'down' : ''}`}>{signed(v.points)}</td>
                  <td>{v.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {detail.data && detail.data.findings.length > 0 && (
            <ul className="small pet-findings">
              {detail.data.findings.map((f, i) => (
                <li key={i}>
                  <span className="mono">{`${f.file}${f.line === null ? '' : `:${f.line}`}`}</span> {f.message}
                  {f.preview && <code className="mono"> {f.preview}</code>}
                </li>
              ))}
            </ul>
          )}
          {detail.data && detail.data.notes.length > 0 && (
            <ul className="small muted">
              {detail.data.notes.map((n, i) => (
                <li key={i}>{n}</li>
              ))}
            </ul>
          )}
        </div>
      </details>
    </li>
  );
}

function BadgeSection({ pet }: { pet: Pet }) {
  const b = pet.badge;
  return (
    <Section title="Badge" id="pet-badge" description="For the repository’s README: GitHub shows it through its image proxy, which revalidates it, so it follows the pet.">
      {b.markdown && b.badge_url ? (
        <>
          <p>
            <img src={localPath(b.badge_url)} alt={`Badge of ${pet.name}`} height={20} />
          </p>
          <div className="with-copy">
            <pre className="mono pet-snippet">{b.markdown}</pre>
            <CopyButton text={b.markdown} label="Copy" />
          </div>
          {b.secret_url && <p className="small muted">A private repository: this address holds a secret. Anyone with it sees the pet; rotate it in the settings if it leaks.</p>}
        </>
      ) : (
        <p className="muted">A private repository’s pet has no public images. Turn on a secret address in the settings to get a badge.</p>
      )}
    </Section>
  );
}

function SettingsSection({ pet, owner, name, onSaved }: { pet: Pet; owner: string; name: string; onSaved: () => Promise<void> }) {
  const id = useId();
  const [form, setForm] = useState({ name: pet.name, type: pet.type_overridden ? pet.entity_type : '', branch: pet.branch_setting ?? '', decay: pet.decay_setting === null ? '' : String(pet.decay_setting) });
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (body: PetPatch) => api.patch('/api/pets/{owner}/{name}', { path: { owner, name }, body }),
    onSuccess: async () => {
      setError(null);
      setNotice('Saved.');
      await onSaved();
    },
    onError: (e) => {
      setNotice(null);
      setError(errorMessage(e));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: PetPatch = {};
    if (form.name.trim() !== pet.name) body.name = form.name.trim();
    const type = form.type === '' ? null : (form.type as Pet['entity_type']);
    if (type !== (pet.type_overridden ? pet.entity_type : null)) body.entity_type = type;
    const branch = form.branch.trim() === '' ? null : form.branch.trim();
    if (branch !== pet.branch_setting) body.branch = branch;
    const decay = form.decay.trim() === '' ? null : Number(form.decay);
    if (decay !== null && (!Number.isInteger(decay) || decay < 0 || decay > 100)) return setError('Decay is a whole number from 0 to 100 (or empty for the default).');
    if (decay !== pet.decay_setting) body.decay_per_day = decay;
    if (Object.keys(body).length === 0) return setNotice('Nothing changed.');
    save.mutate(body);
  };
  const secret = useMutation({
    mutationFn: (v: 'enable' | 'rotate' | 'disable') => api.patch('/api/pets/{owner}/{name}', { path: { owner, name }, body: { secret_url: v } }),
    onSuccess: onSaved,
    onError: (e) => setError(errorMessage(e)),
  });
  return (
    <Section title="Settings" id="pet-settings">
      <form className="form card form-card" onSubmit={submit} noValidate>
        <div className="form-grid">
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input id={`${id}-name`} value={form.name} maxLength={60} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </div>
          <div className="field">
            <label htmlFor={`${id}-type`}>Creature</label>
            <select id={`${id}-type`} value={form.type} onChange={(e) => setForm({ ...form, type: e.target.value })}>
              <option value="">From the language</option>
              {(['robot', 'plant', 'pet', 'golem', 'blob'] as const).map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-branch`}>Branch</label>
            <input id={`${id}-branch`} value={form.branch} placeholder="the default branch" onChange={(e) => setForm({ ...form, branch: e.target.value })} aria-describedby={`${id}-branch-help`} />
            <p className="field-help" id={`${id}-branch-help`}>
              Another branch is followed from its own history.
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-decay`}>Decay a day</label>
            <input id={`${id}-decay`} inputMode="numeric" value={form.decay} placeholder="the default" onChange={(e) => setForm({ ...form, decay: e.target.value })} aria-describedby={`${id}-decay-help`} />
            <p className="field-help" id={`${id}-decay-help`}>
              Health lost each day after 3 days without a commit; 0 turns decay off.
            </p>
          </div>
        </div>
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        {notice && (
          <p className="small muted" role="status">
            {notice}
          </p>
        )}
        <div className="form-actions row wrap">
          <button type="submit" className="button primary" disabled={save.isPending}>
            Save
          </button>
          {pet.is_private &&
            (pet.badge.secret_url ? (
              <>
                <button type="button" className="button" onClick={() => secret.mutate('rotate')} disabled={secret.isPending}>
                  New secret address
                </button>
                <button type="button" className="button danger-ghost" onClick={() => secret.mutate('disable')} disabled={secret.isPending}>
                  Turn off the secret address
                </button>
              </>
            ) : (
              <button type="button" className="button" onClick={() => secret.mutate('enable')} disabled={secret.isPending}>
                Turn on a secret address for images
              </button>
            ))}
        </div>
      </form>
    </Section>
  );
}
