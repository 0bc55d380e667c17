/**
 * A fake OneDev, exactly as ../shared/api-specs/onedev-rest.md describes it (OneDev ships no
 * OpenAPI file): REST under `/~api`, plain-text error bodies, bare JSON numbers for ids, 406 for
 * unexpected or missing query parameters, 400 for bean-validation failures (empty name, missing
 * `gitPackConfig` / `codeAnalysisSetting`, unknown properties), 500 for a duplicate name, and git
 * smart HTTP at `<url>/<project path>.git` with the access token as HTTP Basic password (or user
 * name) or bearer. A request missing the required nested objects is also recorded as a problem.
 */
import fs from 'node:fs';
import path from 'node:path';
import { initBare, type Decision, type GitRequestInfo } from '../git-server/index.js';
import { ForgeServer, tokenCandidates, type ForgeRequest, type ForgeResponseSpec } from './forge-server.js';

export interface OneDevProject {
  id: number;
  parentId: number | null;
  forkedFromId: number | null;
  name: string;
  key: string | null;
  description: string | null;
  createDate: string;
  codeManagement: boolean;
  packManagement: boolean;
  issueManagement: boolean;
  timeTracking: boolean;
  serviceDeskEmailAddress: string | null;
  gitPackConfig: { windowMemory: string | null; packSizeLimit: string | null; threads: string | null; window: string | null };
  codeAnalysisSetting: { analysisFiles: string | null };
}

export interface OneDevToken {
  user: string;
  /** May create root projects and push anywhere (a OneDev administrator's token). */
  admin: boolean;
  /** May push (write code). */
  write: boolean;
}

const WRITABLE = new Set(['name', 'parentId', 'forkedFromId', 'key', 'description', 'codeManagement', 'packManagement', 'issueManagement', 'timeTracking', 'serviceDeskEmailAddress', 'gitPackConfig', 'codeAnalysisSetting']);
const READ_ONLY = new Set(['id', 'path', 'createDate']);
const NAME = /^\w[\w.-]*$/;
const text = (status: number, t: string): ForgeResponseSpec => ({ status, text: t });

export class FakeOneDev extends ForgeServer {
  readonly projects = new Map<number, OneDevProject>();
  readonly tokens = new Map<string, OneDevToken>();
  private nextId = 1;

  static async start(): Promise<FakeOneDev> {
    return new FakeOneDev().start();
  }

  addToken(token: string, t: Partial<OneDevToken> = {}): void {
    this.tokens.set(token, { user: t.user ?? 'admin', admin: t.admin ?? true, write: t.write ?? true });
  }

  pathOf(p: OneDevProject): string {
    const parent = p.parentId === null ? undefined : this.projects.get(p.parentId);
    return parent ? `${this.pathOf(parent)}/${p.name}` : p.name;
  }

  findByPath(projectPath: string): OneDevProject | undefined {
    return [...this.projects.values()].find((p) => this.pathOf(p).toLowerCase() === projectPath.toLowerCase());
  }

  /** Adds a project directly (a namespace the test expects to exist). */
  addProject(name: string, parentPath?: string): OneDevProject {
    const parent = parentPath ? this.findByPath(parentPath) : undefined;
    return this.create({ name, parentId: parent?.id ?? null, description: null });
  }

  private create(d: { name: string; parentId: number | null; description: string | null }): OneDevProject {
    const p: OneDevProject = {
      id: this.nextId++,
      parentId: d.parentId,
      forkedFromId: null,
      name: d.name,
      key: null,
      description: d.description,
      createDate: new Date().toISOString().replace('Z', '+00:00'),
      codeManagement: true,
      packManagement: true,
      issueManagement: true,
      timeTracking: false,
      serviceDeskEmailAddress: null,
      gitPackConfig: { windowMemory: null, packSizeLimit: null, threads: null, window: null },
      codeAnalysisSetting: { analysisFiles: null },
    };
    this.projects.set(p.id, p);
    initBare(this.repoDir(this.pathOf(p)), 'main');
    return p;
  }

  private caller(r: ForgeRequest): OneDevToken | 'anonymous' | 'invalid' {
    const c = r.credentials;
    if (c.kind === 'none') return 'anonymous';
    if (c.kind === 'basic') {
      // OneDev: the user name if it is a token, else the password if it is a token, else a login.
      return this.tokens.get(c.username) ?? this.tokens.get(c.password) ?? 'invalid';
    }
    return this.tokens.get(c.kind === 'bearer' ? c.token : '') ?? 'invalid';
  }

  protected notFound(): ForgeResponseSpec {
    return text(404, 'Not Found');
  }

  protected authorizeGit(info: GitRequestInfo): Decision {
    const candidates = tokenCandidates(info.credentials);
    if (candidates.length === 0) return { ok: false, status: 401, message: 'Authentication required' };
    const token = candidates.map((t) => this.tokens.get(t)).find(Boolean);
    if (!token) return { ok: false, status: 401, message: 'Invalid credentials' };
    if (!this.findByPath(info.repo)) return { ok: false, status: 404, message: 'Project not found or inaccessible' };
    if (info.write && !token.write) return { ok: false, status: 403, message: 'You do not have permission to push to this project.' };
    return { ok: true, user: token.user };
  }

  /** Checks a ProjectData body as OneDev's bean validation does; returns the error or null. */
  private checkBody(r: ForgeRequest): ForgeResponseSpec | null {
    const b = r.body;
    if (typeof b !== 'object' || b === null || Array.isArray(b)) return text(400, 'A project object is required');
    const o = b as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (READ_ONLY.has(k)) {
        this.problems.push(`OneDev: ${r.method} ${r.pathname} sent the read-only property ${k}`);
        continue;
      }
      if (!WRITABLE.has(k)) return text(400, `Unrecognized field "${k}"`);
    }
    for (const req of ['gitPackConfig', 'codeAnalysisSetting']) {
      if (typeof o[req] !== 'object' || o[req] === null) {
        this.problems.push(`OneDev: ${r.method} ${r.pathname} without the required object ${req}`);
        return text(400, `${req}: must not be null`);
      }
    }
    if (typeof o.name !== 'string' || o.name.trim() === '') return text(400, 'name: must not be empty');
    if (!NAME.test(o.name)) return text(400, `name: Invalid project name '${o.name}'`);
    return null;
  }

  private project(p: OneDevProject) {
    return { ...p, path: this.pathOf(p) };
  }

  protected api(r: ForgeRequest): ForgeResponseSpec | undefined {
    if (!r.pathname.startsWith('/~api/')) return undefined;
    const who = this.caller(r);
    if (who === 'invalid') return text(401, 'Invalid credentials');
    const rest = r.pathname.slice('/~api'.length);
    const allowQuery = (allowed: string[]): ForgeResponseSpec | null => {
      const unexpected = [...r.query.keys()].filter((k) => !allowed.includes(k));
      return unexpected.length ? text(406, `Unexpected query params: [${unexpected.join(', ')}]`) : null;
    };

    let m = /^\/projects\/ids\/(.+)$/.exec(rest);
    if (m && r.method === 'GET') {
      const bad = allowQuery([]);
      if (bad) return bad;
      const p = who === 'anonymous' ? undefined : this.findByPath(decodeURIComponent(m[1]!));
      return p ? { status: 200, json: p.id } : text(404, `Project not found or inaccessible: ${decodeURIComponent(m[1]!)}`);
    }
    if (rest === '/projects' && r.method === 'GET') {
      const bad = allowQuery(['query', 'offset', 'count']);
      if (bad) return bad;
      const missing = ['offset', 'count'].filter((k) => !/^\d+$/.test(r.query.get(k) ?? ''));
      if (missing.length) return text(406, `Missing query params: [${missing.join(', ')}]`);
      const count = Number(r.query.get('count'));
      if (count > 100 && !(who !== 'anonymous' && who.admin)) return text(406, 'Count should not be greater than 100');
      let list = who === 'anonymous' ? [] : [...this.projects.values()];
      const q = /^"(Path|Name)" is "(.+)"$/.exec(r.query.get('query') ?? '');
      if (q) list = list.filter((p) => (q[1] === 'Path' ? this.pathOf(p) : p.name).toLowerCase() === q[2]!.toLowerCase());
      return { status: 200, json: list.slice(Number(r.query.get('offset')), Number(r.query.get('offset')) + count).map((p) => this.project(p)) };
    }
    if (rest === '/projects' && r.method === 'POST') {
      const bad = allowQuery([]) ?? this.checkBody(r);
      if (bad) return bad;
      if (who === 'anonymous') return text(401, 'Not authorized');
      const o = r.body as Record<string, unknown>;
      const parentId = typeof o.parentId === 'number' ? o.parentId : null;
      const parent = parentId === null ? null : this.projects.get(parentId);
      if (parentId !== null && !parent) return text(404, `Unable to find project with id: ${parentId}`);
      if (!parent && !who.admin) return text(403, 'Not authorized to create root project');
      if (parent && !who.write) return text(403, `Not authorized to create project under '${this.pathOf(parent)}'`);
      const name = o.name as string;
      const dup = [...this.projects.values()].find((p) => p.parentId === parentId && p.name.toLowerCase() === name.toLowerCase());
      if (dup) return text(500, parent ? `Name '${name}' is already used by another project under '${this.pathOf(parent)}'` : `Name '${name}' is already used by another root project`);
      const p = this.create({ name, parentId, description: typeof o.description === 'string' ? o.description : null });
      return { status: 200, json: p.id };
    }
    m = /^\/projects\/(\d+)(\/clone-url)?$/.exec(rest);
    if (m) {
      const bad = allowQuery([]);
      if (bad) return bad;
      if (who === 'anonymous') return text(401, 'Not authorized');
      const p = this.projects.get(Number(m[1]));
      if (!p) return text(404, `Unable to find project with id: ${m[1]}`);
      if (m[2] && r.method === 'GET') {
        const host = new URL(this.url).host;
        return { status: 200, json: { http: `${this.url}/${this.pathOf(p)}.git`, ssh: `ssh://${host.split(':')[0]}:6611/${this.pathOf(p)}.git` } };
      }
      if (m[2]) return undefined;
      if (r.method === 'GET') return { status: 200, json: this.project(p) };
      if (r.method === 'POST') {
        const invalid = this.checkBody(r);
        if (invalid) return invalid;
        if (!who.write) return text(403, 'Not authorized to manage project');
        const o = r.body as Record<string, unknown>;
        const oldPath = this.pathOf(p);
        const name = o.name as string;
        const dup = [...this.projects.values()].find((x) => x.id !== p.id && x.parentId === p.parentId && x.name.toLowerCase() === name.toLowerCase());
        if (dup) return text(500, `Name '${name}' is already used by another root project`);
        p.name = name;
        if (typeof o.description === 'string' || o.description === null) p.description = (o.description as string | null) ?? null;
        const newPath = this.pathOf(p);
        if (newPath !== oldPath) {
          for (const [from, to] of [[this.repoDir(oldPath), this.repoDir(newPath)], [path.join(this.root, oldPath), path.join(this.root, newPath)]] as const) {
            if (fs.existsSync(from)) {
              fs.mkdirSync(path.dirname(to), { recursive: true });
              fs.renameSync(from, to);
            }
          }
        }
        return { status: 200, text: '' };
      }
      if (r.method === 'DELETE') {
        if (!who.admin) return text(403, 'Not authorized to manage project');
        fs.rmSync(this.repoDir(this.pathOf(p)), { recursive: true, force: true });
        this.projects.delete(p.id);
        return { status: 200, text: '' };
      }
    }
    return undefined;
  }
}
