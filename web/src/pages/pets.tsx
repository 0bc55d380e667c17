/**
 * Pets: a creature per repository you can see, newest first, with its health, band, life state
 * and the last 30 days of health as a line.
 */
import { useInfiniteQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { api, type Answer } from '../api/client';
import { PageHeader } from '../components/page';
import { Segmented } from '../components/tabs';
import { EmptyState, ErrorState, Loading } from '../components/states';
import { Badge } from '../components/status-badge';

export type PetItem = Answer<'/api/pets'>['items'][number];
type StateFilter = 'all' | 'alive' | 'dying' | 'dead';

const BAND_TONE = { thriving: 'success', healthy: 'success', okay: 'info', poor: 'warning', dying: 'danger' } as const;

/** The pet's creature, drawn by the server (scoped like the API: private repositories too). */
export function Creature({ pet, size = 64 }: { pet: Pick<PetItem, 'repository' | 'name' | 'entity_type' | 'band' | 'life_state' | 'updated_at'>; size?: number }) {
  const [owner = '', name = ''] = pet.repository.split('/');
  const look = pet.life_state === 'dead' ? 'dead' : pet.band;
  // The version in the query keeps the browser's copy fresh when the look changes.
  const src = `/api/pets/${encodeURIComponent(owner)}/${encodeURIComponent(name)}/creature.svg?v=${encodeURIComponent(`${pet.entity_type}-${look}`)}`;
  return <img className="pet-creature" src={src} width={size} height={size} alt={`${pet.name}, a ${pet.entity_type}, ${look}`} />;
}

/** Health band (and death) as a badge: colour plus words. */
export function HealthBadge({ pet }: { pet: Pick<PetItem, 'health' | 'band' | 'life_state'> }) {
  if (pet.life_state === 'dead') return <Badge tone="neutral">dead</Badge>;
  return (
    <Badge tone={BAND_TONE[pet.band]} dot>
      {`${pet.health} · ${pet.band}`}
    </Badge>
  );
}

/** Health (0–100) over time as a small line, drawn as SVG (cheap for every card). */
export function HealthSparkline({ points, label, width = 140, height = 32 }: { points: Array<{ at: string; health: number }>; label: string; width?: number; height?: number }) {
  if (points.length === 0) return null;
  const t0 = Date.parse(points[0]!.at);
  const t1 = Math.max(t0 + 1, Date.parse(points[points.length - 1]!.at));
  const x = (at: string) => ((Date.parse(at) - t0) / (t1 - t0)) * (width - 2) + 1;
  const y = (h: number) => height - 1 - (h / 100) * (height - 2);
  // A step line: health holds until the next change.
  let d = `M${x(points[0]!.at).toFixed(1)} ${y(points[0]!.health).toFixed(1)}`;
  for (let i = 1; i < points.length; i++) d += `H${x(points[i]!.at).toFixed(1)}V${y(points[i]!.health).toFixed(1)}`;
  const first = points[0]!.health;
  const last = points[points.length - 1]!.health;
  const description = `${label}: ${first} thirty days ago, ${last} now, lowest ${Math.min(...points.map((p) => p.health))}`;
  return (
    <svg className="pet-sparkline" width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={description}>
      <title>{description}</title>
      <line x1="0" x2={width} y1={y(20)} y2={y(20)} className="pet-sparkline-floor" />
      <path d={d} className="pet-sparkline-line" />
    </svg>
  );
}

export function PetsPage() {
  const [state, setState] = useState<StateFilter>('all');
  const pets = useInfiniteQuery({
    queryKey: ['pets', state],
    queryFn: ({ pageParam, signal }) => api.get('/api/pets', { query: { limit: 48, cursor: pageParam, state: state === 'all' ? undefined : state }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: 30_000,
  });
  const items = useMemo(() => pets.data?.pages.flatMap((p) => p.items) ?? [], [pets.data]);

  return (
    <>
      <PageHeader
        title="Pets"
        subtitle="A creature per repository: its health follows the quality of each commit, and fades when nothing happens"
        actions={
          <Segmented<StateFilter>
            label="Life state"
            value={state}
            onChange={setState}
            options={[
              { value: 'all', label: 'All' },
              { value: 'alive', label: 'Alive' },
              { value: 'dying', label: 'Dying' },
              { value: 'dead', label: 'Dead' },
            ]}
          />
        }
      />
      {pets.isPending ? (
        <Loading rows={4} label="Loading pets…" />
      ) : pets.isError ? (
        <ErrorState error={pets.error} retry={() => void pets.refetch()} />
      ) : items.length === 0 ? (
        <EmptyState title={state === 'all' ? 'No pets yet' : `No ${state} pets`}>
          <p>Every repository of an installation of the GitHub App gets a pet; its history is analysed in the background.</p>
        </EmptyState>
      ) : (
        <ul className="pet-grid" aria-label="Pets">
          {items.map((p) => (
            <li key={p.id} className="card pet-card">
              <Creature pet={p} />
              <div className="pet-card-body">
                <Link to={`/pets/${p.repository}`} className="strong pet-card-name">
                  {p.name}
                </Link>
                <div className="small muted pet-card-repo">{p.repository}</div>
                <div className="row wrap">
                  <HealthBadge pet={p} />
                  {p.life_state === 'dying' && <Badge tone="danger">dying</Badge>}
                  {p.backfill.status === 'running' || p.backfill.status === 'pending' ? <span className="small muted">analysing history…</span> : null}
                </div>
                {p.sparkline && <HealthSparkline points={p.sparkline} label={`Health of ${p.name} over 30 days`} />}
              </div>
            </li>
          ))}
        </ul>
      )}
      {pets.hasNextPage && (
        <div className="load-more">
          <button type="button" className="button" onClick={() => void pets.fetchNextPage()} disabled={pets.isFetchingNextPage}>
            {pets.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </>
  );
}
