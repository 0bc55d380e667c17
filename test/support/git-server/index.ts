/**
 * A git HTTP server in the test process: git's own `git http-backend` behind a small node:http
 * handler with token authentication. It plays github.com's git over HTTPS for the source
 * repositories, and each fake forge (test/support/fake-forge) mounts the same handler for the
 * repositories it creates. See README.md.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { killAllBackends, serveWithHttpBackend } from './http-backend.js';

export { httpBackend, killAllBackends } from './http-backend.js';

export type Credentials = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string } | { kind: 'none' };

/** Parses an Authorization header (Basic, Bearer, or `token X`). */
export function parseCredentials(header: string | undefined): Credentials {
  if (!header) return { kind: 'none' };
  const [scheme = '', value = ''] = header.split(/\s+/, 2);
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i < 0 ? { kind: 'basic', username: decoded, password: '' } : { kind: 'basic', username: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  if (/^(bearer|token)$/i.test(scheme)) return { kind: 'bearer', token: value };
  return { kind: 'none' };
}

export type GitService = 'git-upload-pack' | 'git-receive-pack';

export interface GitRequestInfo {
  /** Repository path without `.git`: `acme/widgets`. */
  repo: string;
  service: GitService;
  /** True for pushes. */
  write: boolean;
  credentials: Credentials;
  method: string;
}

export type Decision = { ok: true; user: string } | { ok: false; status: 401 | 403 | 404; message: string };

/** Splits `/acme/widgets.git/info/refs` into repo and git suffix (null when it is not a git request). */
export function parseGitPath(pathname: string): { repo: string; suffix: string } | null {
  const m = /^\/(.+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+)$/.exec(decodeURIComponent(pathname));
  if (!m?.[1] || m[1].includes('..')) return null;
  return { repo: m[1], suffix: m[2]! };
}

export interface GitHandlerOptions {
  root: string;
  authorize(info: GitRequestInfo): Decision;
  /** Called for each git request before it is served (logging, failure injection, holds). */
  intercept?(info: GitRequestInfo, req: IncomingMessage, res: ServerResponse): Promise<boolean> | boolean;
}

/** Serves a git request if the path is one; false otherwise (the caller handles it). */
export async function handleGitRequest(req: IncomingMessage, res: ServerResponse, o: GitHandlerOptions): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const parsed = parseGitPath(url.pathname);
  if (!parsed) return false;
  const service: GitService =
    parsed.suffix === 'git-receive-pack' || url.searchParams.get('service') === 'git-receive-pack' ? 'git-receive-pack' : 'git-upload-pack';
  const info: GitRequestInfo = { repo: parsed.repo, service, write: service === 'git-receive-pack', credentials: parseCredentials(req.headers.authorization), method: req.method ?? 'GET' };
  if (o.intercept && (await o.intercept(info, req, res))) return true;
  const decision = o.authorize(info);
  if (!decision.ok) {
    req.resume();
    res.writeHead(decision.status, { 'content-type': 'text/plain', ...(decision.status === 401 ? { 'www-authenticate': 'Basic realm="git"' } : {}) });
    res.end(`${decision.message}\n`);
    return true;
  }
  const dir = path.join(o.root, `${parsed.repo}.git`);
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    req.resume();
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Repository not found\n');
    return true;
  }
  await serveWithHttpBackend(req, res, { root: o.root, pathInfo: `/${parsed.repo}.git/${parsed.suffix}`, remoteUser: decision.user });
  return true;
}

/** Creates an empty bare repository whose HEAD names `defaultBranch`. */
export function initBare(dir: string, defaultBranch = 'main'): void {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  execFileSync('git', ['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, dir]);
  // Accept what a mirror sends (force pushes and deletions), like the forges do by default.
  execFileSync('git', ['-C', dir, 'config', 'receive.denyNonFastForwards', 'false']);
  execFileSync('git', ['-C', dir, 'config', 'receive.denyDeletes', 'false']);
}

/** Refs of a bare repository (`git for-each-ref`), as ref → sha. */
export function refsOf(dir: string): Map<string, string> {
  const out = execFileSync('git', ['-C', dir, 'for-each-ref', '--format=%(objectname) %(refname)'], { encoding: 'utf8' });
  const refs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0) refs.set(line.slice(i + 1), line.slice(0, i));
  }
  return refs;
}

export interface RecordedGitRequest {
  method: string;
  url: string;
  repo: string;
  service: GitService;
  /** Whether an Authorization header came with it. */
  authorization: boolean;
}

/** A pending hold: requests matching wait until `release()`. */
export interface Hold {
  /** Resolves when the first matching request is being held. */
  reached: Promise<void>;
  release(): void;
}

/** A standalone git HTTP server (the "GitHub" of the tests). */
export class GitServer {
  readonly requests: RecordedGitRequest[] = [];
  /** While true, every request gets 503. */
  down = false;
  private failures: Array<{ service: GitService | '*'; status: number; remaining: number }> = [];
  private holds: Array<{ service: GitService; repo?: string; release: Promise<void>; reached: () => void }> = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    readonly root: string,
  ) {}

  static async start(opts: { authorize?: (info: GitRequestInfo) => Decision; root?: string } = {}): Promise<GitServer> {
    const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-git-'));
    const authorize = opts.authorize ?? (() => ({ ok: true as const, user: 'anonymous' }));
    // eslint-disable-next-line prefer-const
    let self: GitServer;
    const server = http.createServer((req, res) => {
      void handleGitRequest(req, res, { root, authorize, intercept: (info, rq, rs) => self.intercept(info, rq, rs) })
        .then((handled) => {
          if (!handled) {
            res.writeHead(404, { 'content-type': 'text/plain' });
            res.end('Not a git path\n');
          }
        })
        .catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(500);
          res.end(String(err));
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    self = new GitServer(server, `http://127.0.0.1:${port}`, root);
    server.on('connection', (s) => {
      self.sockets.add(s);
      s.on('close', () => self.sockets.delete(s));
    });
    return self;
  }

  /** The bare repository directory for `repo` (owner/name). */
  repoDir(repo: string): string {
    return path.join(this.root, `${repo}.git`);
  }

  createBareRepo(repo: string, defaultBranch = 'main'): string {
    const dir = this.repoDir(repo);
    initBare(dir, defaultBranch);
    return dir;
  }

  /** The next `times` requests (of `service`, or any) are answered `status`. */
  failNext(status: number, times = 1, service: GitService | '*' = '*'): void {
    this.failures.push({ service, status, remaining: times });
  }

  /** Requests of `service` (to `repo`, or any) wait until released. */
  hold(service: GitService, repo?: string): Hold {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const reachedP = new Promise<void>((r) => (reached = r));
    const entry = { service, repo, release: released, reached };
    this.holds.push(entry);
    return {
      reached: reachedP,
      release: () => {
        this.holds = this.holds.filter((h) => h !== entry);
        release();
      },
    };
  }

  private async intercept(info: GitRequestInfo, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    this.requests.push({ method: info.method, url: req.url ?? '', repo: info.repo, service: info.service, authorization: req.headers.authorization !== undefined });
    if (this.down) {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('Service Unavailable\n');
      return true;
    }
    const f = this.failures.find((x) => x.remaining > 0 && (x.service === '*' || x.service === info.service));
    if (f) {
      f.remaining--;
      this.failures = this.failures.filter((x) => x.remaining > 0);
      req.resume();
      res.writeHead(f.status, { 'content-type': 'text/plain' });
      res.end(`injected ${f.status}\n`);
      return true;
    }
    const h = this.holds.find((x) => x.service === info.service && (x.repo === undefined || x.repo === info.repo) && req.method === 'POST');
    if (h) {
      h.reached();
      await h.release;
    }
    return false;
  }

  async close(): Promise<void> {
    for (const h of this.holds) h.reached();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    killAllBackends();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}
