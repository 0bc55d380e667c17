/**
 * One sync of one mirror: make the target's branches and tags equal GitHub's, keeping anything it
 * overwrites. Every step is written to the sync log. The runner (runner.ts) holds the mirror's
 * lease around this and records the outcome.
 *
 * 1. the repository on the target: found or created (`<kind>_repo_created`), once;
 * 2. the cache: `git init --bare` the first time (`clone_started`/`clone_completed`), then
 *    `git fetch --prune` of `+refs/heads/*` and `+refs/tags/*` from GitHub (`fetch_*`) — never
 *    `refs/pull/*`;
 * 3. the target's refs (`git ls-remote`), compared with the cache's;
 * 4. a branch about to be overwritten by something that is not a fast-forward, a moved tag, or a ref
 *    about to be deleted: its old tip is kept under `refs/switchyard/backup/<stamp>/…` in the cache
 *    (`backup_created`; also pushed to the target when the target says so);
 * 5. one push of exactly what changed (`push_started`/`push_completed`), each ref leased to the
 *    value just read, so a concurrent change on the target fails the push instead of being lost;
 * 6. LFS objects (`lfs_synced`, or `lfs_skipped` without git-lfs), then `sync_completed`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import type { SecretBox } from '../../identity/index.js';
import type { Logger } from '../../log/index.js';
import { FAILURE_CODES, MirrorUrlRefused, SyncFailure } from './errors.js';
import { forgeFor, type ForgeAdapter } from './forge/index.js';
import { cacheExists, GitCommandFailed, lfsAvailable, parseForEachRef, parseLsRemote, removeStaleLocks, runGit, usesLfs, type GitCredential, type GitProgress, type GitRunOptions, type RefMap } from '../../git/index.js';
import { cachePath } from './git/cache.js';
import { classifyGitError } from './git/classify-git-error.js';
import { backupRefName, backupStamp, planIsEmpty, planRefChanges, type RefChange } from './git/refs.js';
import { getRepositoryFacts, getTarget, insertLog, mirrorAtPath, updateMirror, type MirrorRow, type RepositoryFacts, type TargetRow } from './repo.js';
import { checkTargetUrl } from './url-policy.js';

export interface SyncDeps {
  db: Database;
  config: Pick<Config, 'mirror'> & { github: Pick<Config['github'], 'gitUrl'> };
  box: SecretBox;
  log: Logger;
  /** An installation access token for cloning (GitHub App). */
  sourceToken(installationId: number): Promise<string>;
}

export interface SyncProgress {
  step: 'clone' | 'fetch' | 'push' | 'lfs';
  phase: string;
  percent: number;
}

export interface SyncRun {
  mirror: MirrorRow;
  syncId: string;
  signal: AbortSignal;
  onProgress?: (p: SyncProgress) => void;
}

export interface SyncResult {
  bytes: number;
  syncedSha: string | null;
  changed: number;
}

const CORRUPT = /bad object|corrupt|did not send all necessary objects|unable to read|missing blob|packfile .* cannot be accessed/i;

/** Decrypts a target's token; a token no configured key opens is a configuration failure. */
export function openTargetToken(box: SecretBox, target: Pick<TargetRow, 'token' | 'name'>): string | null {
  if (!target.token) return null;
  try {
    return box.open(target.token, 'mirror_targets.token');
  } catch (err) {
    throw new SyncFailure(FAILURE_CODES.targetAuth, 'config', `the token of mirror target ${target.name} cannot be decrypted with the configured keys: set it again`, { cause: err });
  }
}

export function adapterFor(box: SecretBox, target: TargetRow): ForgeAdapter {
  return forgeFor({ id: target.id, name: target.name, kind: target.kind, baseUrl: target.base_url, namespace: target.namespace, username: target.username, token: openTargetToken(box, target) });
}

/** The address check before any request to a target (scheme, host, what it resolves to now). */
export async function checkTargetAddress(config: Pick<Config, 'mirror'>, url: string, what = 'the target URL'): Promise<void> {
  try {
    await checkTargetUrl(url.replace('{path}', 'x'), { allowed: config.mirror.allowedAddresses }, what);
  } catch (err) {
    if (err instanceof MirrorUrlRefused) throw new SyncFailure(FAILURE_CODES.addressRefused, 'config', err.message, { cause: err });
    throw err;
  }
}

/** An installation token, or a failure that says what to fix. */
async function sourceTokenFor(deps: SyncDeps, repo: RepositoryFacts): Promise<string> {
  if (repo.installation_id === null) {
    throw new SyncFailure(FAILURE_CODES.noInstallation, 'config', `${repo.full_name} belongs to no installation of the GitHub App: install the App on it to mirror it`);
  }
  try {
    return await deps.sourceToken(repo.installation_id);
  } catch (err) {
    const status = (err as { status?: number }).status;
    const msg = err instanceof Error ? err.message : String(err);
    if (status === 401 || status === 403 || status === 404) {
      return Promise.reject(
        new SyncFailure(
          FAILURE_CODES.sourceAuth,
          'auth',
          `GitHub refused an installation token for installation ${repo.installation_id} (${status}): is the App still installed there and not suspended? Otherwise check the App's credentials (APP_ID, PRIVATE_KEY)`,
          { cause: err },
        ),
      );
    }
    if (/No GitHub App is configured/.test(msg)) throw new SyncFailure(FAILURE_CODES.sourceAuth, 'config', msg, { cause: err });
    throw new SyncFailure(FAILURE_CODES.sourceUnreachable, 'transient', `GitHub could not be reached for an installation token (${msg.slice(0, 200)})`, { cause: err });
  }
}

export async function syncMirror(deps: SyncDeps, run: SyncRun): Promise<SyncResult> {
  const { db, config } = deps;
  const m = run.mirror;
  const started = Date.now();
  const log = deps.log.child({ mirrorId: m.id, syncId: run.syncId });
  const step = (event: string, e: { message?: string; duration_ms?: number; bytes_transferred?: number; details?: Record<string, unknown> } = {}) =>
    insertLog(db.kysely, { repo_mirror_id: m.id, sync_id: run.syncId, event, ...e });

  const target = await getTarget(db.kysely, m.target_id);
  const repo = await getRepositoryFacts(db.kysely, m.repository_id);
  if (!target || !repo) throw new SyncFailure(FAILURE_CODES.internal, 'config', 'the mirror’s target or repository no longer exists');
  const adapter = adapterFor(deps.box, target);
  await step('sync_started', { message: `syncing ${repo.full_name} to ${target.name} (${target.kind})`, details: { repository: repo.full_name, target: target.name, requested_seq: m.requested_seq, retry_count: m.retry_count } });

  await checkTargetAddress(config, target.base_url);
  const git = config.mirror.git;
  const lowSpeed = { limit: config.mirror.lowSpeedLimit, time: config.mirror.lowSpeedTime };
  const base: Pick<GitRunOptions, 'git' | 'signal' | 'lowSpeed'> = { git, signal: run.signal, lowSpeed };
  const configured: GitCredential | null = adapter.gitCredential();
  /** The target's credential, for the origin of the URL git talks to (the forge may report clone URLs on another host than its API). */
  const credFor = (url: string): GitCredential | null => (configured ? { ...configured, url } : null);
  const targetWho = { place: adapter.place, credential: adapter.credentialHint };
  const progress = (stepName: SyncProgress['step']) => (p: GitProgress) => run.onProgress?.({ step: stepName, ...p });

  // 1. The repository on the target.
  const ensure = async (): Promise<string> => {
    const t0 = Date.now();
    const taken = await mirrorAtPath(db.kysely, target.id, m.target_path, repo.id);
    if (taken) {
      throw new SyncFailure(FAILURE_CODES.pathTaken, 'config', `${m.target_path} on target ${target.name} is already the mirror of ${taken.full_name}: give the target a name_template with {owner} (e.g. {owner}-{name})`);
    }
    const found = await adapter.ensureRepository(m.target_path, {
      name: m.target_path.slice(m.target_path.lastIndexOf('/') + 1),
      description: repo.description ? `Mirror of ${repo.full_name}: ${repo.description}` : `Mirror of ${repo.full_name}`,
      private: target.visibility === 'private' || repo.is_private,
      defaultBranch: repo.default_branch,
    });
    await checkTargetAddress(config, found.cloneUrl, 'the clone URL the target reported');
    if (found.created) {
      await step(`${target.kind}_repo_created`, { message: `created ${found.path} on ${adapter.place}`, duration_ms: Date.now() - t0, details: { path: found.path, id: found.id, url: found.cloneUrl } });
      log.info({ path: found.path, target: target.name }, 'created the repository on the mirror target');
    }
    await updateMirror(db.kysely, m.id, { target_url: found.cloneUrl, target_repo_id: found.id, target_path: found.path });
    m.target_url = found.cloneUrl;
    m.target_path = found.path;
    return found.cloneUrl;
  };
  let targetUrl = m.target_url ?? (await ensure());

  // 2. The cache, up to date with GitHub.
  const sourceUrl = `${config.github.gitUrl}/${repo.full_name}.git`;
  const sourceCred: GitCredential = { url: sourceUrl, username: 'x-access-token', password: await sourceTokenFor(deps, repo) };
  const sourceWho = { place: `GitHub (${config.github.gitUrl})`, credential: "the GitHub App's installation token (the App needs Contents: read on this repository)" };
  const dir = cachePath(config.mirror.cacheDir, target.id, repo.github_id);
  const inCache = (args: string[], extra: Partial<GitRunOptions> = {}) => runGit({ ...base, cwd: dir, args, ...extra });
  let bytes = 0;

  const fetchFromGitHub = async (fresh: boolean) => {
    const t0 = Date.now();
    await step(fresh ? 'clone_started' : 'fetch_started', { message: `${fresh ? 'cloning' : 'fetching'} ${repo.full_name} from GitHub` });
    const opts = { credential: sourceCred, onProgress: progress(fresh ? 'clone' : 'fetch') } as const;
    const r = await (fresh
      ? // A bare clone: branches and tags (never refs/pull/*), and no connectivity walk afterwards.
        runGit({ ...base, ...opts, cwd: path.dirname(dir), args: ['clone', '--bare', '--progress', sourceUrl, dir] })
      : inCache(['fetch', '--prune', '--no-tags', '--no-write-fetch-head', '--progress', sourceUrl, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], opts)
    ).catch((err: unknown) => {
      throw err instanceof GitCommandFailed && CORRUPT.test(err.stderr) ? err : classifyGitError(err, 'source', sourceWho);
    });
    // The cache keeps no remote: every command is given its URL (and its credential) anew.
    if (fresh) await inCache(['config', '--remove-section', 'remote.origin']).catch(() => undefined);
    bytes += r.bytes;
    await step(fresh ? 'clone_completed' : 'fetch_completed', { duration_ms: Date.now() - t0, bytes_transferred: r.bytes });
  };
  const clearCache = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(dir), { recursive: true });
  };
  // The target's refs, read while the cache fetches (they do not depend on each other).
  const lsRemote = async (url: string): Promise<RefMap> => parseLsRemote((await runGit({ ...base, args: ['ls-remote', '--refs', url], credential: credFor(url) })).stdout);
  const remoteEarly = lsRemote(targetUrl).then(
    (refs) => ({ refs, err: null as unknown }),
    (err: unknown) => ({ refs: null, err }),
  );
  let fresh = !cacheExists(dir);
  if (fresh) clearCache();
  else {
    const removed = removeStaleLocks(dir);
    if (removed > 0) log.warn({ removed }, 'removed lock files a killed sync left in the cache');
  }
  try {
    await fetchFromGitHub(fresh);
  } catch (err) {
    if (!(err instanceof GitCommandFailed)) throw err;
    // A damaged cache (a sync killed at the wrong moment, a full disk): start it again, once.
    log.warn({ err: err.message }, 'the mirror cache looks damaged: cloning it again');
    clearCache();
    fresh = true;
    await fetchFromGitHub(true).catch((e: unknown) => {
      throw classifyGitError(e, 'source', sourceWho);
    });
  }
  const local = parseForEachRef((await inCache(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads', 'refs/tags'])).stdout);

  // 3. The target's refs.
  let remote: RefMap;
  const early = await remoteEarly;
  if (early.refs) remote = early.refs;
  else {
    const err = early.err;
    const missing = err instanceof GitCommandFailed && /returned error: 404|not found|does not appear to be a git repository/i.test(err.stderr) && !/401|403/.test(err.stderr);
    if (!missing || target.kind === 'git') throw classifyGitError(err, 'target', targetWho);
    // Deleted on the target since: create it again.
    log.warn({ path: m.target_path }, 'the repository is gone from the target: creating it again');
    targetUrl = await ensure();
    remote = await lsRemote(targetUrl).catch((e: unknown) => {
      throw classifyGitError(e, 'target', targetWho);
    });
  }

  // 4. Backups of whatever would be lost.
  const plan = planRefChanges(local, remote);
  const present = await presentObjects(inCache, [...plan.updates, ...plan.deletes].map((c) => c.old!));
  const fastForward = new Set<string>();
  for (const u of plan.updates) {
    if (u.ref.startsWith('refs/heads/') && present.has(u.old!)) {
      const ff = await inCache(['merge-base', '--is-ancestor', u.old!, u.new!]).then(
        () => true,
        () => false,
      );
      if (ff) fastForward.add(u.ref);
    }
  }
  const endangered: Array<RefChange & { reason: string }> = [
    ...plan.updates.filter((u) => !fastForward.has(u.ref)).map((u) => ({ ...u, reason: u.ref.startsWith('refs/tags/') ? 'tag_moved' : 'force_push' })),
    ...plan.deletes.map((d) => ({ ...d, reason: 'deleted' })),
  ];
  const backups: Array<{ ref: string; backup: string; sha: string; reason: string }> = [];
  if (endangered.length > 0) {
    const stamp = backupStamp();
    const missing = endangered.filter((e) => !present.has(e.old!));
    if (missing.length > 0) {
      // Tips that exist only on the target: fetch them from there into their backup refs.
      await runGit({ ...base, cwd: dir, credential: credFor(targetUrl), args: ['fetch', '--no-tags', '--no-write-fetch-head', targetUrl, ...missing.map((e) => `+${e.ref}:${backupRefName(e.ref, stamp)}`)] }).catch((err: unknown) => {
        throw classifyGitError(err, 'target', targetWho);
      });
    }
    const have = endangered.filter((e) => present.has(e.old!));
    if (have.length > 0) await inCache(['update-ref', '--stdin'], { input: have.map((e) => `create ${backupRefName(e.ref, stamp)} ${e.old!}\n`).join('') });
    for (const e of endangered) {
      const backup = backupRefName(e.ref, stamp);
      backups.push({ ref: e.ref, backup, sha: e.old!, reason: e.reason });
      const what = e.reason === 'deleted' ? 'is deleted on GitHub' : e.reason === 'tag_moved' ? 'was moved on GitHub' : 'was force-pushed on GitHub';
      await step('backup_created', {
        message: `${e.ref} ${what}: kept its old tip ${e.old!.slice(0, 12)} as ${backup}`,
        details: { ref: e.ref, old_sha: e.old, new_sha: e.new, backup_ref: backup, reason: e.reason },
      });
    }
    log.info({ backups: backups.length }, 'kept the old tips of overwritten or deleted refs');
  }

  // 5. Push what changed.
  const changed = plan.creates.length + plan.updates.length + plan.deletes.length;
  if (!planIsEmpty(plan)) {
    const t0 = Date.now();
    await step('push_started', { message: `pushing to ${adapter.place}`, details: { created: plan.creates.length, updated: plan.updates.length, deleted: plan.deletes.length } });
    let pushed = 0;
    const push = async (args: string[]) => {
      const r = await runGit({ ...base, cwd: dir, credential: credFor(targetUrl), args: ['push', '--porcelain', '--progress', ...args], onProgress: progress('push') }).catch((err: unknown) => {
        throw classifyGitError(err, 'target', targetWho);
      });
      pushed += r.bytes;
    };
    if (remote.size === 0) {
      // An empty target: one push of everything (as `git push --mirror` would, without refs/pull).
      await push([targetUrl, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*']);
    } else {
      const changes = [...plan.creates, ...plan.updates, ...plan.deletes];
      for (let i = 0; i < changes.length; i += 400) {
        const chunk = changes.slice(i, i + 400);
        await push([
          ...chunk.map((c) => `--force-with-lease=${c.ref}:${c.old ?? ''}`),
          targetUrl,
          ...chunk.map((c) => (c.new === null ? `:${c.ref}` : `${c.ref}:${c.ref}`)),
        ]);
      }
    }
    bytes += pushed;
    await step('push_completed', { duration_ms: Date.now() - t0, bytes_transferred: pushed, details: { created: plan.creates.length, updated: plan.updates.length, deleted: plan.deletes.length } });
  } else {
    await step('up_to_date', { message: 'the target already had every branch and tag' });
  }
  if (backups.length > 0 && toBoolish(target.push_backups)) {
    try {
      await runGit({ ...base, cwd: dir, credential: credFor(targetUrl), args: ['push', '--porcelain', targetUrl, ...backups.map((b) => `${b.backup}:${b.backup}`)] });
      await step('backup_pushed', { message: `pushed ${backups.length} backup ref(s) to the target`, details: { refs: backups.map((b) => b.backup) } });
    } catch (err) {
      const f = classifyGitError(err, 'target', targetWho);
      await step('backup_push_failed', { message: `the backups stay in the cache; pushing them to the target failed: ${f.message}`, details: { error_code: f.code } });
    }
  }

  // 6. LFS.
  // GitHub's default branch when Switchyard knows it (some payloads do not carry it), else the usual names.
  const defaultRef = [repo.default_branch, 'main', 'master'].map((b) => (b ? `refs/heads/${b}` : '')).find((r) => local.has(r)) ?? [...local.keys()].find((r) => r.startsWith('refs/heads/'));
  if (defaultRef && (await usesLfs({ git, cwd: dir }, defaultRef))) {
    if (await lfsAvailable(git)) {
      const t0 = Date.now();
      await inCache(['lfs', 'fetch', '--all', sourceUrl], { credential: sourceCred, onProgress: progress('lfs') }).catch((err: unknown) => {
        throw classifyGitError(err, 'source', sourceWho);
      });
      await inCache(['lfs', 'push', '--all', targetUrl], { credential: credFor(targetUrl), onProgress: progress('lfs') }).catch((err: unknown) => {
        throw classifyGitError(err, 'target', targetWho);
      });
      await step('lfs_synced', { message: 'mirrored Git LFS objects', duration_ms: Date.now() - t0 });
    } else {
      await step('lfs_skipped', { message: 'the repository uses Git LFS but git-lfs is not installed here: LFS objects were not mirrored (install git-lfs to mirror them)' });
    }
  }

  const syncedSha = defaultRef ? (local.get(defaultRef) ?? null) : null;
  await step('sync_completed', {
    message: changed === 0 ? 'up to date' : `${plan.creates.length} created, ${plan.updates.length} updated, ${plan.deletes.length} deleted${backups.length ? `, ${backups.length} backed up` : ''}`,
    duration_ms: Date.now() - started,
    bytes_transferred: bytes,
    details: { created: plan.creates.length, updated: plan.updates.length, deleted: plan.deletes.length, backups: backups.length, fresh_cache: fresh },
  });
  return { bytes, syncedSha, changed };
}

const toBoolish = (v: boolean | number) => v === true || v === 1;

/** Which of these objects the cache has (one `cat-file --batch-check`). */
async function presentObjects(inCache: (args: string[], extra?: Partial<GitRunOptions>) => Promise<{ stdout: string }>, shas: string[]): Promise<Set<string>> {
  if (shas.length === 0) return new Set();
  const r = await inCache(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { input: `${[...new Set(shas)].join('\n')}\n` });
  const present = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const [sha, type] = line.split(' ');
    if (sha && type && type !== 'missing') present.add(sha);
  }
  return present;
}

/** Mirror targets' own failures, for messages. */
export function isSyncFailure(err: unknown): err is SyncFailure {
  return err instanceof SyncFailure;
}
