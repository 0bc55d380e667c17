/** Pets, history rows and analyses as the API shows them. */
import type { z } from 'zod';
import { parseJson, toBool } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import type { ComponentScore, Finding } from './analyzer/index.js';
import type { AnalysisRow, HistoryRow, PetRow } from './repo.js';
import { bandOf } from './rules.js';
import type { commitDetail, commitItem, historyItem, PetItem, sparkPoint } from './schema.js';

export const SECRET_COLUMN = 'entities.badge_secret';

export interface PresentDeps {
  publicUrl: string;
  defaultDecayPerDay: number;
  box: SecretBox;
}

const enc = (s: string) => encodeURIComponent(s);

/** The public addresses of a pet's images (null for a private repository without a secret URL). */
export function imageUrls(deps: Pick<PresentDeps, 'publicUrl' | 'box'>, p: Pick<PetRow, 'owner' | 'repo_name' | 'is_private' | 'badge_secret' | 'name'>): PetItem['badge'] {
  const secret = p.badge_secret ? deps.box.openNullable(p.badge_secret, SECRET_COLUMN) : null;
  const priv = toBool(p.is_private);
  if (priv && !secret) return { secret_url: false, image_url: null, badge_url: null, markdown: null };
  const q = priv && secret ? `?key=${enc(secret)}` : '';
  const base = `${deps.publicUrl}/pets/${enc(p.owner)}/${enc(p.repo_name)}`;
  const image = `${base}.svg${q}`;
  const badge = `${base}/badge.svg${q}`;
  return { secret_url: priv && !!secret, image_url: image, badge_url: badge, markdown: `[![${p.name.replace(/[[\]]/g, '')}](${badge})](${image})` };
}

export function presentPet(deps: PresentDeps, p: PetRow, sparkline?: Array<z.infer<typeof sparkPoint>>): PetItem {
  return {
    id: p.id,
    repository: p.full_name,
    github_repository_id: Number(p.github_repository_id),
    installation_id: p.installation_id === null ? null : Number(p.installation_id),
    is_private: toBool(p.is_private),
    is_archived: toBool(p.is_archived),
    repository_deleted: toBool(p.is_deleted),
    name: p.name,
    entity_type: p.entity_type,
    type_overridden: toBool(p.type_overridden),
    language: p.language,
    health: p.health,
    band: bandOf(p.health),
    life_state: p.life_state,
    generation: p.generation,
    born_at: p.born_at,
    zero_since: p.zero_since,
    death_date: p.death_date,
    death_cause: p.death_cause,
    last_commit_at: p.last_commit_at,
    branch: p.branch ?? p.default_branch ?? 'main',
    branch_setting: p.branch,
    decay_per_day: p.decay_per_day ?? deps.defaultDecayPerDay,
    decay_setting: p.decay_per_day,
    sync: { status: p.sync_status, error: p.sync_error, failures: p.sync_failures, next_attempt_at: p.next_sync_at, last_synced_at: p.last_synced_at, head_sha: p.head_sha },
    backfill: { status: p.backfill_status, done: p.backfill_done, total: p.backfill_total, error: p.backfill_error, started_at: p.backfill_started_at, finished_at: p.backfill_finished_at },
    badge: imageUrls(deps, p),
    ...(sparkline ? { sparkline } : {}),
    created_at: p.created_at,
    updated_at: p.updated_at,
  };
}

export function presentHistory(h: HistoryRow & { sha: string | null }): z.infer<typeof historyItem> {
  return {
    id: h.id,
    kind: h.kind,
    health_before: h.health_before,
    health_after: h.health_after,
    delta: h.delta,
    life_state: h.life_state,
    generation: h.generation,
    sha: h.sha,
    decay_day: h.decay_day,
    reason: h.reason,
    occurred_at: h.occurred_at,
  };
}

interface StoredAnalysis {
  analyzer_version?: string;
  breakdown?: Record<string, ComponentScore>;
  findings?: Finding[];
  notes?: string[];
}

export function presentCommit(a: AnalysisRow): z.infer<typeof commitItem> {
  const j = parseJson<StoredAnalysis>(a.analysis_json, {});
  return {
    sha: a.sha,
    parents: parseJson<string[]>(a.parents, []),
    is_merge: toBool(a.is_merge),
    author_name: a.author_name,
    author_email: a.author_email,
    authored_at: a.authored_at,
    committed_at: a.committed_at,
    subject: a.subject,
    files_changed: a.files_changed,
    additions: a.additions,
    deletions: a.deletions,
    overall_quality_score: Number(a.overall_quality_score),
    health_delta: a.health_delta,
    applied_delta: a.applied_delta,
    applied: a.applied,
    orphaned: toBool(a.orphaned),
    source: a.source,
    analyzer_version: a.analyzer_version,
    breakdown: j.breakdown ?? {},
    analyzed_at: a.updated_at,
  };
}

export function presentCommitDetail(a: AnalysisRow): z.infer<typeof commitDetail> {
  const j = parseJson<StoredAnalysis>(a.analysis_json, {});
  const item = presentCommit(a);
  return {
    ...item,
    findings: (j.findings ?? []).map((f) => ({ component: f.component, rule: f.rule, file: f.file, line: f.line ?? null, message: f.message, ...(f.preview === undefined ? {} : { preview: f.preview }) })),
    notes: j.notes ?? [],
    components_sum: Object.values(item.breakdown).reduce((s, c) => s + c.points, 0),
  };
}
