/**
 * A fake Gitea (also standing in for Forgejo): the `/api/v1` operations a mirror uses — getVersion,
 * userGetCurrent, orgGet, repoGet, createOrgRepo, createCurrentUserRepo, repoEdit, repoDelete —
 * with every request body and every response checked against Gitea's Swagger description
 * (gitea-swagger.ts); a violation is recorded in `problems` (and a bad response becomes a 500).
 * Authentication as Gitea does it: `Authorization: token …` (or bearer) on the API, and on git the
 * token as the HTTP Basic password (the user name is ignored), or as the user name with an empty
 * password.
 */
import fs from 'node:fs';
import path from 'node:path';
import { initBare, type Decision, type GitRequestInfo } from '../git-server/index.js';
import { ForgeServer, type ForgeRequest, type ForgeResponseSpec } from './forge-server.js';
import { findGiteaOperation, giteaRequestProblems, giteaResponseProblems } from './gitea-swagger.js';

interface GiteaUser {
  id: number;
  login: string;
  tokens: Set<string>;
}

interface GiteaOrg {
  id: number;
  name: string;
  members: Set<string>;
}

export interface GiteaRepo {
  id: number;
  owner: string;
  name: string;
  private: boolean;
  description: string;
  defaultBranch: string;
  archived: boolean;
  created: string;
  updated: string;
}

const ts = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class FakeGitea extends ForgeServer {
  readonly users = new Map<string, GiteaUser>();
  readonly orgs = new Map<string, GiteaOrg>();
  readonly repos = new Map<string, GiteaRepo>();
  /** Responses checked against the Swagger description (0 when the description is missing). */
  validatedResponses = 0;
  private nextId = 1;

  static async start(): Promise<FakeGitea> {
    return new FakeGitea().start();
  }

  addUser(login: string, token?: string): void {
    this.users.set(login.toLowerCase(), { id: this.nextId++, login, tokens: new Set(token ? [token] : []) });
  }

  addOrg(name: string, members: string[] = []): void {
    this.orgs.set(name.toLowerCase(), { id: this.nextId++, name, members: new Set(members.map((m) => m.toLowerCase())) });
  }

  repo(fullName: string): GiteaRepo | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  private userByToken(token: string): GiteaUser | undefined {
    return [...this.users.values()].find((u) => u.tokens.has(token));
  }

  private canWrite(u: GiteaUser, owner: string): boolean {
    return u.login.toLowerCase() === owner.toLowerCase() || (this.orgs.get(owner.toLowerCase())?.members.has(u.login.toLowerCase()) ?? false);
  }

  protected notFound(): ForgeResponseSpec {
    return { status: 404, json: { message: 'not found', url: `${this.url}/api/swagger` } };
  }

  protected authorizeGit(info: GitRequestInfo): Decision {
    const c = info.credentials;
    if (c.kind === 'none') return { ok: false, status: 401, message: 'Unauthorized' };
    const token = c.kind === 'bearer' ? c.token : c.password === '' || c.password === 'x-oauth-basic' ? c.username : c.password;
    const user = this.userByToken(token);
    if (!user) return { ok: false, status: 401, message: 'invalid credentials' };
    const r = this.repo(info.repo);
    if (!r || (r.private && !this.canWrite(user, r.owner))) return { ok: false, status: 404, message: 'Repository not found' };
    if (info.write && !this.canWrite(user, r.owner)) return { ok: false, status: 403, message: 'User permission denied for writing.' };
    if (info.write && r.archived) return { ok: false, status: 403, message: 'repo is archived' };
    return { ok: true, user: user.login };
  }

  private userJson(u: GiteaUser) {
    return {
      id: u.id,
      login: u.login,
      login_name: '',
      source_id: 0,
      full_name: u.login,
      email: `${u.login}@example.com`,
      avatar_url: `${this.url}/avatars/${u.id}`,
      html_url: `${this.url}/${u.login}`,
      language: 'en-US',
      is_admin: false,
      last_login: ts(),
      created: ts(),
      restricted: false,
      active: true,
      prohibit_login: false,
      location: '',
      website: '',
      description: '',
      visibility: 'public',
      followers_count: 0,
      following_count: 0,
      starred_repos_count: 0,
    };
  }

  private ownerJson(owner: string) {
    const u = this.users.get(owner.toLowerCase());
    if (u) return this.userJson(u);
    const o = this.orgs.get(owner.toLowerCase())!;
    return { ...this.userJson({ id: o.id, login: o.name, tokens: new Set() }), full_name: o.name };
  }

  private repoJson(r: GiteaRepo, viewer: GiteaUser | undefined) {
    const full = `${r.owner}/${r.name}`;
    const canWrite = viewer ? this.canWrite(viewer, r.owner) : false;
    const empty = !fs.existsSync(path.join(this.repoDir(full), 'refs', 'heads')) || fs.readdirSync(path.join(this.repoDir(full), 'refs', 'heads')).length === 0;
    return {
      id: r.id,
      owner: this.ownerJson(r.owner),
      name: r.name,
      full_name: full,
      description: r.description,
      empty,
      private: r.private,
      fork: false,
      template: false,
      mirror: false,
      size: 0,
      language: '',
      languages_url: `${this.url}/api/v1/repos/${full}/languages`,
      html_url: `${this.url}/${full}`,
      url: `${this.url}/api/v1/repos/${full}`,
      link: '',
      ssh_url: `ssh://git@${new URL(this.url).hostname}:2222/${full}.git`,
      clone_url: `${this.url}/${full}.git`,
      original_url: '',
      website: '',
      stars_count: 0,
      forks_count: 0,
      watchers_count: 0,
      open_issues_count: 0,
      open_pr_counter: 0,
      release_counter: 0,
      default_branch: r.defaultBranch,
      archived: r.archived,
      created_at: r.created,
      updated_at: r.updated,
      archived_at: r.archived ? r.updated : '1970-01-01T00:00:00Z',
      permissions: { admin: canWrite, push: canWrite, pull: true },
      has_code: true,
      has_issues: true,
      has_wiki: true,
      has_pull_requests: true,
      has_projects: true,
      has_releases: true,
      has_packages: true,
      has_actions: true,
      ignore_whitespace_conflicts: false,
      allow_merge_commits: true,
      allow_rebase: true,
      allow_rebase_explicit: true,
      allow_squash_merge: true,
      allow_fast_forward_only_merge: true,
      allow_rebase_update: true,
      default_delete_branch_after_merge: false,
      default_merge_style: 'merge',
      default_allow_maintainer_edit: false,
      avatar_url: '',
      internal: false,
      mirror_interval: '',
      object_format_name: 'sha1',
      mirror_updated: '0001-01-01T00:00:00Z',
      topics: [],
      licenses: [],
    };
  }

  private createRepo(owner: string, body: Record<string, unknown>, viewer: GiteaUser): ForgeResponseSpec {
    const name = body.name as string;
    if (!/^[\w.-]+$/.test(name) || name === '.' || name === '..') return { status: 422, json: { message: `[Name]: invalid name`, url: `${this.url}/api/swagger` } };
    if (this.repo(`${owner}/${name}`)) return { status: 409, json: { message: 'The repository with the same name already exists.', url: `${this.url}/api/swagger` } };
    const r: GiteaRepo = { id: this.nextId++, owner, name, private: body.private === true, description: typeof body.description === 'string' ? body.description : '', defaultBranch: typeof body.default_branch === 'string' && body.default_branch ? body.default_branch : 'main', archived: false, created: ts(), updated: ts() };
    this.repos.set(`${owner}/${name}`.toLowerCase(), r);
    initBare(this.repoDir(`${owner}/${name}`), r.defaultBranch);
    return { status: 201, json: this.repoJson(r, viewer) };
  }

  protected api(r: ForgeRequest): ForgeResponseSpec | undefined {
    if (!r.pathname.startsWith('/api/v1/')) return undefined;
    const apiPath = r.pathname.slice('/api/v1'.length);
    const op = findGiteaOperation(r.method, apiPath);
    if (r.body !== undefined || (op?.bodySchema && r.method !== 'GET')) {
      const problems = giteaRequestProblems(op, r.body ?? null);
      if (problems.length) {
        this.problems.push(...problems);
        return { status: 422, json: { message: problems.join('; '), url: `${this.url}/api/swagger` } };
      }
    }
    const spec = this.route(r, apiPath);
    if (spec && op && spec.status < 500) {
      const problems = giteaResponseProblems(op, spec.status, spec.json);
      this.validatedResponses++;
      if (problems.length) {
        this.problems.push(...problems);
        return { status: 500, text: `fake Gitea response broke the Swagger description: ${problems.join('; ')}` };
      }
    }
    return spec;
  }

  private route(r: ForgeRequest, p: string): ForgeResponseSpec | undefined {
    const token = r.credentials.kind === 'bearer' ? r.credentials.token : r.credentials.kind === 'basic' ? r.credentials.password || r.credentials.username : null;
    const viewer = token ? this.userByToken(token) : undefined;
    if (token && !viewer) return { status: 401, json: { message: 'user does not exist', url: `${this.url}/api/swagger` } };
    const err = (status: number, message: string): ForgeResponseSpec => ({ status, json: { message, url: `${this.url}/api/swagger` } });

    if (p === '/version' && r.method === 'GET') return { status: 200, json: { version: '1.26.3' } };
    if (p === '/user' && r.method === 'GET') return viewer ? { status: 200, json: this.userJson(viewer) } : err(401, 'token is required');
    let m = /^\/orgs\/([^/]+)$/.exec(p);
    if (m && r.method === 'GET') {
      const o = this.orgs.get(decodeURIComponent(m[1]!).toLowerCase());
      if (!o) return err(404, 'GetOrgByName');
      return { status: 200, json: { id: o.id, name: o.name, username: o.name, full_name: o.name, email: '', avatar_url: `${this.url}/avatars/${o.id}`, description: '', website: '', location: '', visibility: 'public', repo_admin_change_team_access: false } };
    }
    m = /^\/orgs\/([^/]+)\/repos$/.exec(p);
    if (m && r.method === 'POST') {
      if (!viewer) return err(401, 'token is required');
      const o = this.orgs.get(decodeURIComponent(m[1]!).toLowerCase());
      if (!o) return err(404, 'GetOrgByName');
      if (!o.members.has(viewer.login.toLowerCase())) return err(403, 'Given user is not allowed to create repository in organization.');
      return this.createRepo(o.name, r.body as Record<string, unknown>, viewer);
    }
    if (p === '/user/repos' && r.method === 'POST') {
      if (!viewer) return err(401, 'token is required');
      return this.createRepo(viewer.login, r.body as Record<string, unknown>, viewer);
    }
    m = /^\/repos\/([^/]+)\/([^/]+)$/.exec(p);
    if (m) {
      const full = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      const repo = this.repo(full);
      if (!repo || (repo.private && !(viewer && this.canWrite(viewer, repo.owner)))) return err(404, 'not found');
      if (r.method === 'GET') return { status: 200, json: this.repoJson(repo, viewer) };
      if (!viewer) return err(401, 'token is required');
      if (!this.canWrite(viewer, repo.owner)) return err(403, 'admin permission is required');
      if (r.method === 'DELETE') {
        this.repos.delete(full.toLowerCase());
        fs.rmSync(this.repoDir(`${repo.owner}/${repo.name}`), { recursive: true, force: true });
        return { status: 204 };
      }
      if (r.method === 'PATCH') {
        const b = (r.body ?? {}) as Record<string, unknown>;
        if (typeof b.name === 'string' && b.name !== repo.name) {
          if (this.repo(`${repo.owner}/${b.name}`)) return err(422, 'repository name already exists');
          const from = this.repoDir(`${repo.owner}/${repo.name}`);
          this.repos.delete(full.toLowerCase());
          repo.name = b.name;
          this.repos.set(`${repo.owner}/${repo.name}`.toLowerCase(), repo);
          fs.renameSync(from, this.repoDir(`${repo.owner}/${repo.name}`));
        }
        if (typeof b.archived === 'boolean') repo.archived = b.archived;
        if (typeof b.private === 'boolean') repo.private = b.private;
        if (typeof b.description === 'string') repo.description = b.description;
        if (typeof b.default_branch === 'string') repo.defaultBranch = b.default_branch;
        repo.updated = ts();
        return { status: 200, json: this.repoJson(repo, viewer) };
      }
    }
    return undefined;
  }
}
