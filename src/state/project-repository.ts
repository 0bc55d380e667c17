/**
 * Projects repository facts: metadata from any payload that carries the repository (guarded by
 * the payload's `updated_at`; star and watch counts come this way), `repository.*` lifecycle
 * actions, and push (default branch head).
 */
import { sql } from 'kysely';
import type { Executor } from '../db/index.js';
import { newId, nowIso } from '../db/index.js';
import { arr, num, objAt, str, toIsoTimestamp, type Obj } from '../payload-readers/index.js';
import type { EventContext } from '../automations/registry.js';

const ZERO_SHA = /^0{40}$/;

/** `repositories.<column>` differs from `excluded.<column>`, NULLs compared as values (both dialects). */
function differs(column: string) {
  const [stored, incoming] = [sql.ref(`repositories.${column}`), sql.ref(`excluded.${column}`)];
  return sql<boolean>`(coalesce(${stored} <> ${incoming}, false) or (${stored} is null) <> (${incoming} is null))`;
}

/**
 * Upserts a repository from a GitHub repository object; returns its id (null with `needId: false`
 * when the row was already up to date: the caller does not need it, and reading it is a round trip
 * per delivery). Never overwrites newer metadata.
 */
export async function upsertRepository(tx: Executor, repo: Obj, installationId: number | null, opts: { needId?: boolean } = {}): Promise<string | null> {
  const githubId = num(repo.id);
  const fullName = str(repo.full_name);
  if (githubId === null || fullName === null) return null;
  const now = nowIso();
  const owner = str(objAt(repo, 'owner')?.login) ?? fullName.split('/')[0] ?? '';
  const name = str(repo.name) ?? fullName.split('/')[1] ?? fullName;
  const updatedAt = toIsoTimestamp(repo.updated_at);
  const meta = {
    owner,
    name,
    full_name: fullName,
    default_branch: str(repo.default_branch) ?? str(repo.master_branch),
    language: str(repo.language),
    description: str(repo.description),
    html_url: str(repo.html_url),
    is_private: repo.private === true || repo.visibility === 'private',
    is_archived: repo.archived === true,
    is_fork: repo.fork === true,
    size_kb: num(repo.size),
    stargazers_count: num(repo.stargazers_count),
    watchers_count: num(repo.watchers_count),
    pushed_at: toIsoTimestamp(repo.pushed_at),
    github_updated_at: updatedAt,
  };
  // Payloads from installation events carry only id, name, full_name, private: keep what we know.
  const partial = repo.owner === undefined;
  const compared = partial ? (['owner', 'name', 'full_name', 'is_private'] as const) : [...(Object.keys(meta) as Array<keyof typeof meta>), 'installation_id' as const];
  const row = await tx
    .insertInto('repositories')
    .values({ id: newId(), github_id: githubId, ...meta, installation_id: installationId, event_count: 0, status: 'active', failure_count: 0, created_at: now, updated_at: now })
    .onConflict((oc) => {
      const update = oc.column('github_id').doUpdateSet((eb) =>
        partial
          ? { owner: eb.ref('excluded.owner'), name: eb.ref('excluded.name'), full_name: eb.ref('excluded.full_name'), is_private: eb.ref('excluded.is_private'), updated_at: now }
          : {
              ...Object.fromEntries(Object.keys(meta).map((k) => [k, eb.ref(`excluded.${k}` as 'excluded.owner')])),
              installation_id: eb.fn.coalesce(eb.ref('excluded.installation_id'), eb.ref('repositories.installation_id')),
              updated_at: now,
            },
      );
      // Nothing written when nothing changed: every delivery of a repository carries its metadata,
      // and rewriting an unchanged row made a new row version per delivery (PostgreSQL's dead
      // tuples on one hot row slowed processing from ~300 to ~60 receipts/s within minutes).
      // (installation_id keeps the stored one when the payload has none.)
      const changed = sql<boolean>`(${sql.join(
        compared.map((c) => (c === 'installation_id' ? sql`(excluded.installation_id is not null and ${differs(c)})` : differs(c))),
        sql` or `,
      )})`;
      // Older payloads never overwrite newer metadata.
      return updatedAt === null || partial
        ? update.where(changed)
        : update.where((eb) => eb.and([eb.or([eb('repositories.github_updated_at', 'is', null), eb('repositories.github_updated_at', '<=', updatedAt)]), changed]));
    })
    .returning('id')
    .executeTakeFirst();
  if (row) return row.id;
  if (opts.needId === false) return null;
  const existing = await tx.selectFrom('repositories').select('id').where('github_id', '=', githubId).executeTakeFirst();
  return existing?.id ?? null;
}

/** repository.* lifecycle: the payload's repository already reflects the new state; deleted is final. */
export async function projectRepositoryEvent(ctx: EventContext, tx: Executor): Promise<void> {
  const repo = objAt(ctx.payload, 'repository');
  if (!repo) return;
  const id = await upsertRepository(tx, repo, ctx.installationId);
  if (id && ctx.action === 'deleted') {
    await tx.updateTable('repositories').set({ is_deleted: true, updated_at: nowIso() }).where('id', '=', id).execute();
  }
}

/** Any event carrying a repository refreshes its metadata (guarded by updated_at). */
export async function projectRepositoryMetadata(ctx: EventContext, tx: Executor): Promise<void> {
  const repo = objAt(ctx.payload, 'repository');
  if (repo && ctx.name !== 'repository') await upsertRepository(tx, repo, ctx.installationId, { needId: false });
}

/** push: the default branch's head commit becomes `last_commit_sha` (newer pushes win). */
export async function projectPush(ctx: EventContext, tx: Executor): Promise<void> {
  const repo = objAt(ctx.payload, 'repository');
  const ref = str(ctx.payload.ref);
  const after = str(ctx.payload.after);
  if (!repo || !ref || !after || ZERO_SHA.test(after)) return;
  const defaultBranch = str(repo.default_branch) ?? str(repo.master_branch);
  if (defaultBranch && ref !== `refs/heads/${defaultBranch}`) return;
  const pushedAt = toIsoTimestamp(repo.pushed_at) ?? toIsoTimestamp(objAt(ctx.payload, 'head_commit')?.timestamp);
  const githubId = num(repo.id);
  if (githubId === null) return;
  let q = tx.updateTable('repositories').set({ last_commit_sha: after, pushed_at: pushedAt, updated_at: nowIso() }).where('github_id', '=', githubId);
  if (pushedAt) q = q.where((eb) => eb.or([eb('pushed_at', 'is', null), eb('pushed_at', '<=', pushedAt)]));
  await q.execute();
}

/** Repository objects listed in installation payloads (id, name, full_name, private). */
export function listedRepositories(v: unknown): Obj[] {
  return arr(v).filter((r): r is Obj => typeof r === 'object' && r !== null);
}
