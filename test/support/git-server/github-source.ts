/**
 * "GitHub" for mirror tests: the fake GitHub (API, App, installations, webhooks) plus a git server
 * that serves its repositories over HTTP and accepts exactly what github.com accepts from an App —
 * HTTP Basic `x-access-token:<installation token>` for a repository the installation can see
 * (checked with the fake's own tokens). Each repository gets a working copy to make history in,
 * and refs/pull/* like GitHub's (which a mirror must never copy).
 */
import fs from 'node:fs';
import type { FakeGitHub, RepositoryJson } from '../fake-github/index.js';
import { nodeId } from '../fake-github/ids.js';
import { GitServer, type Decision, type GitRequestInfo } from './index.js';
import { WorkingCopy } from './working-copy.js';

export interface SourceRepository {
  json: RepositoryJson;
  fullName: string;
  bare: string;
  wc: WorkingCopy;
}

export class GitHubSource {
  readonly repos = new Map<string, SourceRepository>();

  private constructor(
    readonly fake: FakeGitHub,
    readonly server: GitServer,
  ) {}

  static async start(fake: FakeGitHub): Promise<GitHubSource> {
    const authorize = (info: GitRequestInfo): Decision => {
      const c = info.credentials;
      if (c.kind === 'none') return { ok: false, status: 401, message: 'Authentication required' };
      const token = c.kind === 'basic' ? c.password : c.token;
      if (!fake.installationTokenCanRead(token, info.repo)) return { ok: false, status: 401, message: 'Invalid username or token. Password authentication is not supported for Git operations.' };
      if (info.write) return { ok: false, status: 403, message: 'Permission to push denied to the GitHub App' };
      return { ok: true, user: 'x-access-token' };
    };
    return new GitHubSource(fake, await GitServer.start({ authorize }));
  }

  get url(): string {
    return this.server.url;
  }

  /** Adds a repository to the fake and its bare repository to the git server, with an initial history. */
  addRepository(
    installationId: number,
    opts: { name: string; private?: boolean; defaultBranch?: string; description?: string; seed?: boolean; /** Copy this repository's history instead of making one (fast). */ template?: SourceRepository },
  ): SourceRepository {
    const defaultBranch = opts.defaultBranch ?? 'main';
    const json = this.fake.addRepository(installationId, { name: opts.name, private: opts.private ?? true, defaultBranch, description: opts.description });
    const bare = this.server.repoDir(json.full_name);
    if (opts.template) {
      fs.cpSync(opts.template.bare, bare, { recursive: true });
      const r = { json, fullName: json.full_name, bare, wc: opts.template.wc };
      this.repos.set(json.full_name.toLowerCase(), r);
      return r;
    }
    this.server.createBareRepo(json.full_name, defaultBranch);
    const wc = new WorkingCopy(bare, defaultBranch);
    const r = { json, fullName: json.full_name, bare, wc };
    this.repos.set(json.full_name.toLowerCase(), r);
    if (opts.seed !== false) {
      wc.commit('first commit');
      wc.commit('second commit');
      wc.push(`HEAD:refs/heads/${defaultBranch}`);
      wc.checkout('feature', true);
      wc.commit('a feature');
      wc.push('HEAD:refs/heads/feature');
      wc.checkout(defaultBranch);
      wc.git('tag', '-a', 'v1.0', '-m', 'release 1.0');
      wc.git('tag', 'lightweight');
      wc.push('refs/tags/v1.0', 'refs/tags/lightweight');
      // GitHub keeps pull request heads under refs/pull/: a mirror must never copy them.
      wc.push('refs/heads/feature:refs/pull/1/head');
    }
    return r;
  }

  /** Renames a repository in the fake and on disk. */
  rename(fullName: string, newName: string): SourceRepository {
    const r = this.repos.get(fullName.toLowerCase())!;
    const json = this.fake.renameRepository(r.json.id, newName);
    const bare = this.server.createBareRepo(json.full_name, r.json.default_branch);
    // Move the history: push everything to the new bare repository.
    r.wc.git('push', '--quiet', '--mirror', bare);
    this.repos.delete(fullName.toLowerCase());
    const moved = { json, fullName: json.full_name, bare, wc: new WorkingCopyAt(r.wc, bare) };
    this.repos.set(json.full_name.toLowerCase(), moved);
    return moved;
  }

  // ---- webhook payloads --------------------------------------------------------------------

  private installation(installationId: number) {
    return { id: installationId, node_id: nodeId('IntegrationInstallation', installationId) };
  }

  /** A `star` event (`created`, `deleted`) by `login` (add the user to the fake first). */
  starPayload(installationId: number, repo: SourceRepository, action: 'created' | 'deleted', login: string): Record<string, unknown> {
    return {
      action,
      starred_at: action === 'created' ? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') : null,
      repository: this.fake.getRepository(repo.json.id),
      sender: this.fake.getAccount(login),
      installation: this.installation(installationId),
    };
  }

  /** A `watch.started` event by `login`. */
  watchPayload(installationId: number, repo: SourceRepository, login: string): Record<string, unknown> {
    return { action: 'started', repository: this.fake.getRepository(repo.json.id), sender: this.fake.getAccount(login), installation: this.installation(installationId) };
  }

  /** A `repository` event (`renamed` needs `from`, the old name). */
  repositoryPayload(installationId: number, repo: SourceRepository, action: 'renamed' | 'deleted' | 'created' | 'transferred', opts: { from?: string } = {}): Record<string, unknown> {
    const json = this.fake.getRepository(repo.json.id);
    return {
      action,
      ...(action === 'renamed' ? { changes: { repository: { name: { from: opts.from ?? json.name } } } } : {}),
      repository: json,
      sender: json.owner,
      installation: this.installation(installationId),
    };
  }

  async close(): Promise<void> {
    for (const r of new Set([...this.repos.values()].map((x) => x.wc))) r.close();
    await this.server.close();
  }
}

/** The same working copy, pushing to another bare repository (after a rename). */
class WorkingCopyAt extends WorkingCopy {
  constructor(from: WorkingCopy, bare: string) {
    super(bare, from.defaultBranch);
    this.git('fetch', '--quiet', '--update-head-ok', from.dir, '+refs/heads/*:refs/heads/*');
    this.git('checkout', '--quiet', '-f', from.defaultBranch);
  }
}
