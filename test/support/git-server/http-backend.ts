/**
 * Serves a bare repository over git's smart HTTP protocol with git's own CGI program,
 * `git http-backend` (`$(git --exec-path)/git-http-backend`): the request is handed over as CGI
 * environment + body on stdin, and the CGI answer (headers, blank line, body) is streamed back.
 * Request bodies are passed through untouched (http-backend inflates `Content-Encoding: gzip`
 * itself); protocol v2 goes through as `HTTP_GIT_PROTOCOL`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

let backendPath: string | undefined;

/** The git-http-backend program (throws with a clear message when git lacks it). */
export function httpBackend(): string {
  if (!backendPath) {
    const exec = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
    backendPath = path.join(exec, 'git-http-backend');
  }
  return backendPath;
}

export interface BackendRequest {
  /** Directory holding the repositories (GIT_PROJECT_ROOT). */
  root: string;
  /** Path of the repository below root plus the git suffix: `/acme/widgets.git/info/refs`. */
  pathInfo: string;
  /** Set for authenticated pushes (http-backend refuses receive-pack without a user). */
  remoteUser: string | null;
}

const live = new Set<ChildProcess>();

/** Kills every git-http-backend still running (servers call it when they close). */
export function killAllBackends(): void {
  for (const c of live) c.kill('SIGKILL');
  live.clear();
}

/** Runs git-http-backend for one request and streams its answer. */
export function serveWithHttpBackend(req: IncomingMessage, res: ServerResponse, b: BackendRequest): Promise<void> {
  // The client went away while the request waited (a hold, a killed process): nothing to serve.
  if (req.socket.destroyed || res.destroyed) return Promise.resolve();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    GIT_PROJECT_ROOT: b.root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: b.pathInfo,
    REQUEST_METHOD: req.method ?? 'GET',
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    GIT_HTTP_MAX_REQUEST_BUFFER: String(1024 * 1024 * 1024),
  };
  if (req.headers['content-length']) env.CONTENT_LENGTH = String(req.headers['content-length']);
  if (req.headers['content-encoding']) env.HTTP_CONTENT_ENCODING = String(req.headers['content-encoding']);
  if (req.headers['git-protocol']) env.HTTP_GIT_PROTOCOL = String(req.headers['git-protocol']);
  if (b.remoteUser) env.REMOTE_USER = b.remoteUser;
  return new Promise((resolve) => {
    const child = spawn(httpBackend(), [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    live.add(child);
    let head = Buffer.alloc(0);
    let headersSent = false;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersSent) {
        if (!res.write(chunk)) {
          child.stdout.pause();
          res.once('drain', () => child.stdout.resume());
        }
        return;
      }
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf('\r\n\r\n');
      let sep = 4;
      if (end < 0) {
        end = head.indexOf('\n\n');
        sep = 2;
      }
      if (end < 0) return;
      const lines = head.subarray(0, end).toString('latin1').split(/\r?\n/);
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number(v.split(' ')[0]) || 200;
        else headers[k] = v;
      }
      res.writeHead(status, headers);
      headersSent = true;
      const rest = head.subarray(end + sep);
      if (rest.length > 0) res.write(rest);
    });
    child.on('close', (code) => {
      live.delete(child);
      req.socket.off('close', stop);
      if (!headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`git http-backend failed (${code}): ${stderr}`);
      } else res.end();
      resolve();
    });
    child.stdin.on('error', () => undefined);
    req.pipe(child.stdin);
    const stop = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    res.on('close', () => {
      if (!res.writableFinished) stop();
    });
    req.on('aborted', stop);
    req.socket.once('close', stop);
  });
}
