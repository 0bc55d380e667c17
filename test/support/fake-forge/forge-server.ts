/**
 * What every fake forge shares: a node:http server on 127.0.0.1 that answers its REST API and, on
 * the same port, git over HTTP for the repositories it created (git http-backend, see
 * ../git-server), a request log, tokens, failure injection (`down`, `failNext`) and a list of
 * problems (responses or requests that broke the forge's API description) that `assertValid()`
 * turns into a test failure.
 */
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { handleGitRequest, killAllBackends, parseCredentials, type Credentials, type Decision, type GitRequestInfo, type GitService, type Hold } from '../git-server/index.js';

export interface ForgeRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  pathname: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  credentials: Credentials;
  /** Parsed JSON body (undefined when there is none or it is not JSON). */
  body: unknown;
  rawBody: string;
}

export interface ForgeResponseSpec {
  status: number;
  /** JSON (any value, including a bare number) or text. */
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export interface LoggedRequest {
  method: string;
  url: string;
  status: number;
  /** Whether an Authorization / PRIVATE-TOKEN header came with it. */
  authenticated: boolean;
  git: boolean;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export abstract class ForgeServer {
  readonly root: string;
  readonly requests: LoggedRequest[] = [];
  /** Broken API contracts seen (responses the description does not allow, requests it rejects). */
  readonly problems: string[] = [];
  /** While true, every request (API and git) gets 503. */
  down = false;
  url = '';
  private server: http.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private failures: Array<{ method: string; pattern: RegExp; spec: ForgeResponseSpec; remaining: number }> = [];
  private holds: Array<{ service: GitService; release: Promise<void>; reached: () => void }> = [];

  constructor() {
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), 'switchyard-forge-'));
  }

  /** Answers an API request (undefined: 404 in the forge's style). */
  protected abstract api(r: ForgeRequest): Promise<ForgeResponseSpec | undefined> | ForgeResponseSpec | undefined;
  /** Who may read or push a repository over git. */
  protected abstract authorizeGit(info: GitRequestInfo): Decision;
  /** The forge's 404 for unknown API paths. */
  protected abstract notFound(r: ForgeRequest): ForgeResponseSpec;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
    return this;
  }

  /** The next `times` API requests matching method ('*' for any) and path pattern get `spec`. */
  failNext(method: string, pattern: RegExp, spec: ForgeResponseSpec, times = 1): void {
    this.failures.push({ method: method.toUpperCase(), pattern, spec, remaining: times });
  }

  /** Git POSTs of `service` wait until released (to catch a sync in the middle). */
  holdGit(service: GitService): Hold {
    let release!: () => void;
    let reached!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const reachedP = new Promise<void>((r) => (reached = r));
    const entry = { service, release: released, reached };
    this.holds.push(entry);
    return {
      reached: reachedP,
      release: () => {
        this.holds = this.holds.filter((h) => h !== entry);
        release();
      },
    };
  }

  /** Throws when a response or request broke the forge's API description. */
  assertValid(): void {
    if (this.problems.length > 0) throw new Error(`${this.constructor.name} saw ${this.problems.length} problem(s):\n- ${this.problems.join('\n- ')}`);
  }

  /** The bare repository directory of `repoPath` (no `.git`). */
  repoDir(repoPath: string): string {
    return path.join(this.root, `${repoPath}.git`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const authenticated = req.headers.authorization !== undefined || req.headers['private-token'] !== undefined;
    const log = (status: number, git: boolean) => this.requests.push({ method: req.method ?? 'GET', url: req.url ?? '', status, authenticated, git });
    try {
      if (this.down) {
        req.resume();
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('Service Unavailable');
        log(503, false);
        return;
      }
      const handledGit = await handleGitRequest(req, res, {
        root: this.root,
        authorize: (info) => this.authorizeGit(info),
        intercept: async (info) => {
          const h = this.holds.find((x) => x.service === info.service && req.method === 'POST');
          if (h) {
            h.reached();
            await h.release;
          }
          return false;
        },
      });
      if (handledGit) {
        log(res.statusCode, true);
        return;
      }
      const rawBody = await readBody(req);
      let body: unknown;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = undefined;
      }
      const r: ForgeRequest = { method: (req.method ?? 'GET').toUpperCase(), url: req.url ?? '', pathname: url.pathname, query: url.searchParams, headers: req.headers, credentials: parseCredentials(req.headers.authorization), body, rawBody };
      const injected = this.failures.find((f) => f.remaining > 0 && (f.method === '*' || f.method === r.method) && f.pattern.test(r.pathname));
      let spec: ForgeResponseSpec;
      if (injected) {
        injected.remaining--;
        this.failures = this.failures.filter((f) => f.remaining > 0);
        spec = injected.spec;
      } else spec = (await this.api(r)) ?? this.notFound(r);
      send(res, spec);
      log(spec.status, false);
    } catch (err) {
      this.problems.push(`internal error for ${req.method} ${req.url}: ${err instanceof Error ? err.stack : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('fake forge internal error');
      log(500, false);
    }
  }

  async close(): Promise<void> {
    for (const h of this.holds) h.reached();
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      for (const s of this.sockets) s.destroy();
    });
    killAllBackends();
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

export function send(res: ServerResponse, spec: ForgeResponseSpec): void {
  if (spec.json !== undefined) {
    res.writeHead(spec.status, { 'content-type': 'application/json;charset=utf-8', ...spec.headers });
    res.end(JSON.stringify(spec.json));
  } else {
    res.writeHead(spec.status, { ...(spec.text !== undefined ? { 'content-type': 'text/plain;charset=utf-8' } : {}), ...spec.headers });
    res.end(spec.text ?? '');
  }
}

/** The token a request carries: bearer / `token X`, HTTP Basic (either part), or a named header. */
export function tokenCandidates(c: Credentials, extra?: string | string[]): string[] {
  const out: string[] = [];
  if (c.kind === 'bearer') out.push(c.token);
  if (c.kind === 'basic') out.push(c.username, c.password);
  if (typeof extra === 'string') out.push(extra);
  return out.filter((t) => t.length > 0);
}
