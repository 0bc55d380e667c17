/**
 * Helpers for the pets tests: fixture commits made with git (optionally dated), pushes delivered
 * through the fake GitHub, and waits that follow the pet's own state (requests covered by syncs,
 * no pets job left) rather than the clock.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pushPayload } from './fake-github/index.js';
import { until, type MirrorWorld } from './git-server/mirror-world.js';
import type { SourceRepository } from './git-server/github-source.js';

export const ZERO = '0'.repeat(40);

/** Writes files in the working copy and commits everything (optionally dated); returns the sha. */
export function commitFiles(repo: SourceRepository, message: string, files: Record<string, string>, date?: Date): string {
  for (const [file, content] of Object.entries(files)) {
    const p = path.join(repo.wc.dir, file);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  repo.wc.git('add', '-A');
  const env = { ...process.env, GIT_AUTHOR_NAME: 'Test Author', GIT_AUTHOR_EMAIL: 'author@example.com', GIT_COMMITTER_NAME: 'Test Author', GIT_COMMITTER_EMAIL: 'author@example.com', GIT_CONFIG_NOSYSTEM: '1', ...(date ? { GIT_AUTHOR_DATE: date.toISOString(), GIT_COMMITTER_DATE: date.toISOString() } : {}) };
  execFileSync('git', ['commit', '--quiet', '-m', message], { cwd: repo.wc.dir, env });
  return repo.wc.head();
}

/** API helpers bound to a world. */
export function petsHelpers(w: MirrorWorld) {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const pet = async (fullName: string): Promise<any> => {
    const res = await w.api(`/api/pets/${fullName}`);
    return res.status === 200 ? res.json() : null;
  };
  const entityRow = (fullName: string) =>
    w.t.app.db.kysely
      .selectFrom('entities as e')
      .innerJoin('repositories as r', 'r.id', 'e.repository_id')
      .select(['e.id', 'e.requested_seq', 'e.synced_seq', 'e.sync_status', 'e.health', 'e.backfill_status'])
      .where('r.full_name', '=', fullName)
      .executeTakeFirst();
  /** True when no job of these names waits or runs (either queue). */
  const idle = async (names: string[]) => (await w.t.app.queue.stats()).filter((s) => names.includes(s.name)).every((s) => s.queued + s.running === 0);
  /** Waits until every request to sync the pet was covered by a finished sync. */
  const synced = (fullName: string) =>
    until(
      `the pet of ${fullName} to be synced`,
      async () => {
        await w.t.settle();
        const e = await entityRow(fullName);
        return e && e.requested_seq > 0 && e.synced_seq === e.requested_seq && e.sync_status === 'idle' && (await idle(['automation.run', 'pets.sync', 'pets.backfill'])) ? e : null;
      },
      60_000,
    );
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const commits = async (fullName: string): Promise<any[]> => (await w.json(`/api/pets/${fullName}/commits?limit=200`)).items;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const history = async (fullName: string): Promise<any[]> => (await w.json(`/api/pets/${fullName}/history`)).items;
  const push = async (r: SourceRepository, before: string, ref = 'refs/heads/main', extra: Record<string, unknown> = {}) => {
    const after = r.wc.head();
    await w.deliver('push', { ...pushPayload(w.fake, w.installationId, r.json.id, { ref, before, after }), ...extra });
  };
  return { pet, entityRow, idle, synced, commits, history, push };
}
