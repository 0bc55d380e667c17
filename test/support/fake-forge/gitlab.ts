/**
 * A fake GitLab, shaped as ../shared/api-specs/gitlab-projects.md describes: `GET /projects/:id`
 * (numeric id or URL-encoded full path), `GET /namespaces/:id`, `POST /projects` (201; 400 with
 * field errors when the path is taken), with `PRIVATE-TOKEN` or bearer auth and 401
 * `{"message":"401 Unauthorized"}`; git pushes authenticate with HTTP Basic, password = token
 * (`remote: HTTP Basic: Access denied` otherwise). Rename (`PUT /projects/:id`), archive
 * (`POST /projects/:id/archive`) and delete are common GitLab API the notes mark unverified — the
 * fake's assumptions. Every project returned is checked for the members the notes list; requests
 * without `name`/`path` or with a non-numeric `namespace_id` are recorded as problems.
 */
import fs from 'node:fs';
import { initBare, type Decision, type GitRequestInfo } from '../git-server/index.js';
import { ForgeServer, type ForgeRequest, type ForgeResponseSpec } from './forge-server.js';

interface Namespace {
  id: number;
  name: string;
  path: string;
  kind: 'user' | 'group';
  full_path: string;
  parent_id: number | null;
}

export interface GitLabProject {
  id: number;
  name: string;
  path: string;
  namespaceId: number;
  visibility: 'private' | 'internal' | 'public';
  description: string | null;
  defaultBranch: string | null;
  archived: boolean;
  createdAt: string;
}

const PROJECT_MEMBERS = ['id', 'name', 'path', 'path_with_namespace', 'name_with_namespace', 'default_branch', 'visibility', 'http_url_to_repo', 'ssh_url_to_repo', 'web_url', 'namespace', 'created_at'];

export class FakeGitLab extends ForgeServer {
  readonly namespaces = new Map<number, Namespace>();
  readonly projects = new Map<number, GitLabProject>();
  /** token → namespaces (full paths) it may create projects in and push to. */
  readonly tokens = new Map<string, Set<string>>();
  private nextId = 1;

  static async start(): Promise<FakeGitLab> {
    return new FakeGitLab().start();
  }

  addGroup(fullPath: string): Namespace {
    const ns: Namespace = { id: this.nextId++, name: fullPath.split('/').pop()!, path: fullPath.split('/').pop()!, kind: 'group', full_path: fullPath, parent_id: null };
    this.namespaces.set(ns.id, ns);
    return ns;
  }

  addToken(token: string, namespaces: string[]): void {
    this.tokens.set(token, new Set(namespaces.map((n) => n.toLowerCase())));
  }

  fullPath(p: GitLabProject): string {
    return `${this.namespaces.get(p.namespaceId)!.full_path}/${p.path}`;
  }

  findProject(idOrPath: string): GitLabProject | undefined {
    if (/^\d+$/.test(idOrPath)) return this.projects.get(Number(idOrPath));
    return [...this.projects.values()].find((p) => this.fullPath(p).toLowerCase() === idOrPath.toLowerCase());
  }

  protected notFound(): ForgeResponseSpec {
    return { status: 404, json: { message: '404 Not found' } };
  }

  protected authorizeGit(info: GitRequestInfo): Decision {
    const c = info.credentials;
    if (c.kind !== 'basic') return { ok: false, status: 401, message: 'HTTP Basic: Access denied' };
    const scopes = this.tokens.get(c.password);
    if (!scopes) return { ok: false, status: 401, message: 'HTTP Basic: Access denied' };
    const p = this.findProject(info.repo);
    if (!p) return { ok: false, status: 404, message: 'The project you were looking for could not be found.' };
    const ns = this.namespaces.get(p.namespaceId)!;
    if (info.write && (!scopes.has(ns.full_path.toLowerCase()) || p.archived)) return { ok: false, status: 403, message: 'You are not allowed to push code to this project.' };
    return { ok: true, user: 'oauth2' };
  }

  private projectJson(p: GitLabProject) {
    const ns = this.namespaces.get(p.namespaceId)!;
    const full = this.fullPath(p);
    const json = {
      id: p.id,
      description: p.description,
      name: p.name,
      name_with_namespace: `${ns.name} / ${p.name}`,
      path: p.path,
      path_with_namespace: full,
      created_at: p.createdAt,
      default_branch: fs.existsSync(`${this.repoDir(full)}/refs/heads`) && fs.readdirSync(`${this.repoDir(full)}/refs/heads`).length > 0 ? p.defaultBranch : null,
      visibility: p.visibility,
      ssh_url_to_repo: `git@${new URL(this.url).hostname}:${full}.git`,
      http_url_to_repo: `${this.url}/${full}.git`,
      web_url: `${this.url}/${full}`,
      archived: p.archived,
      namespace: { id: ns.id, name: ns.name, path: ns.path, kind: ns.kind, full_path: ns.full_path, parent_id: ns.parent_id, avatar_url: null, web_url: `${this.url}/groups/${ns.full_path}` },
    };
    for (const k of PROJECT_MEMBERS) if (!(k in json)) this.problems.push(`GitLab project representation lacks ${k}`);
    return json;
  }

  protected api(r: ForgeRequest): ForgeResponseSpec | undefined {
    if (!r.pathname.startsWith('/api/v4/')) return undefined;
    const header = r.headers['private-token'];
    const token = typeof header === 'string' ? header : r.credentials.kind === 'bearer' ? r.credentials.token : null;
    const scopes = token ? this.tokens.get(token) : undefined;
    if (!scopes) return { status: 401, json: { message: '401 Unauthorized' } };
    const rawPath = r.url.split('?')[0]!.slice('/api/v4'.length);

    let m = /^\/namespaces\/([^/]+)$/.exec(rawPath);
    if (m && r.method === 'GET') {
      const key = decodeURIComponent(m[1]!);
      const ns = [...this.namespaces.values()].find((n) => String(n.id) === key || n.full_path.toLowerCase() === key.toLowerCase());
      return ns ? { status: 200, json: { ...ns, avatar_url: null, web_url: `${this.url}/groups/${ns.full_path}` } } : { status: 404, json: { message: '404 Namespace Not Found' } };
    }
    if (rawPath === '/projects' && r.method === 'POST') {
      const b = (r.body ?? {}) as Record<string, unknown>;
      if (typeof b.name !== 'string' && typeof b.path !== 'string') {
        this.problems.push('GitLab POST /projects without name or path');
        return { status: 400, json: { error: 'name, path are missing, at least one parameter must be provided' } };
      }
      if (b.namespace_id !== undefined && typeof b.namespace_id !== 'number') {
        this.problems.push(`GitLab POST /projects with a non-numeric namespace_id ${JSON.stringify(b.namespace_id)}`);
        return { status: 400, json: { message: { namespace: ['is not valid'] } } };
      }
      const ns = this.namespaces.get(b.namespace_id as number);
      if (!ns) return { status: 404, json: { message: '404 Namespace Not Found' } };
      if (!scopes.has(ns.full_path.toLowerCase())) return { status: 403, json: { message: '403 Forbidden' } };
      const path = (typeof b.path === 'string' ? b.path : (b.name as string)).trim();
      const name = typeof b.name === 'string' ? b.name : path;
      if ([...this.projects.values()].some((p) => p.namespaceId === ns.id && p.path.toLowerCase() === path.toLowerCase())) {
        return { status: 400, json: { message: { name: ['has already been taken'], path: ['has already been taken'] } } };
      }
      const visibility = b.visibility === 'public' || b.visibility === 'internal' ? b.visibility : 'private';
      const p: GitLabProject = { id: this.nextId++, name, path, namespaceId: ns.id, visibility, description: typeof b.description === 'string' ? b.description : null, defaultBranch: typeof b.default_branch === 'string' ? b.default_branch : 'main', archived: false, createdAt: new Date().toISOString() };
      this.projects.set(p.id, p);
      initBare(this.repoDir(this.fullPath(p)), p.defaultBranch ?? 'main');
      return { status: 201, json: this.projectJson(p) };
    }
    m = /^\/projects\/([^/]+)(\/archive)?$/.exec(rawPath);
    if (m) {
      const p = this.findProject(decodeURIComponent(m[1]!));
      if (!p) return { status: 404, json: { message: '404 Project Not Found' } };
      const ns = this.namespaces.get(p.namespaceId)!;
      if (m[2] && r.method === 'POST') {
        p.archived = true;
        return { status: 201, json: this.projectJson(p) };
      }
      if (m[2]) return undefined;
      if (r.method === 'GET') return { status: 200, json: this.projectJson(p) };
      if (!scopes.has(ns.full_path.toLowerCase())) return { status: 403, json: { message: '403 Forbidden' } };
      if (r.method === 'PUT') {
        const b = (r.body ?? {}) as Record<string, unknown>;
        const from = this.repoDir(this.fullPath(p));
        if (typeof b.name === 'string') p.name = b.name;
        if (typeof b.path === 'string') p.path = b.path;
        if (typeof b.default_branch === 'string') p.defaultBranch = b.default_branch;
        const to = this.repoDir(this.fullPath(p));
        if (from !== to) fs.renameSync(from, to);
        return { status: 200, json: this.projectJson(p) };
      }
      if (r.method === 'DELETE') {
        fs.rmSync(this.repoDir(this.fullPath(p)), { recursive: true, force: true });
        this.projects.delete(p.id);
        return { status: 202, json: { message: '202 Accepted' } };
      }
    }
    return undefined;
  }
}
