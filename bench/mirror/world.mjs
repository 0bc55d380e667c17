// What the mirror benchmarks run against, all on this machine: git servers (git's own
// `git http-backend` behind node:http, with token auth) for "GitHub" and for the target, a minimal
// GitHub API that hands out installation tokens to the App, and a real Switchyard (the built
// `switchyard start`, SQLite, or web + worker on PostgreSQL) started as a child process.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from '../lib/config.mjs';
import { freePort, startProcess, stopProcess, waitForPort } from '../lib/processes.mjs';

export const WEBHOOK_SECRET = 'bench-mirror-webhook-secret';
export const API_TOKEN = 'bench-mirror-operator-token-0123456789';
const HTTP_BACKEND = path.join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-http-backend');

export function git(args, opts = {}) {
  return execFileSync('git', args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts }).trim();
}

/** A git smart-HTTP server for the bare repositories under `root`; `authorize(token, repo, write)`. */
export async function startGitServer(root, authorize) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const m = /^\/(.+?\.git)\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(decodeURIComponent(url.pathname));
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const write = m[2] === 'git-receive-pack' || url.searchParams.get('service') === 'git-receive-pack';
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':').slice(1).join(':') : null;
    if (!authorize(token, m[1].replace(/\.git$/, ''), write)) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('Authentication required\n');
      return;
    }
    const env = {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${m[1]}/${m[2]}`,
      REQUEST_METHOD: req.method,
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_USER: 'bench',
      GIT_HTTP_MAX_REQUEST_BUFFER: String(2 ** 30),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { HTTP_GIT_PROTOCOL: req.headers['git-protocol'] } : {}),
    };
    const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    let head = Buffer.alloc(0);
    let sent = false;
    child.stdout.on('data', (chunk) => {
      if (sent) {
        if (!res.write(chunk)) {
          child.stdout.pause();
          res.once('drain', () => child.stdout.resume());
        }
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      let status = 200;
      const headers = {};
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const i = line.indexOf(':');
        if (i <= 0) continue;
        if (line.slice(0, i).toLowerCase() === 'status') status = Number(line.slice(i + 1).trim().split(' ')[0]);
        else headers[line.slice(0, i)] = line.slice(i + 1).trim();
      }
      res.writeHead(status, headers);
      sent = true;
      if (head.length > end + 4) res.write(head.subarray(end + 4));
    });
    child.on('close', () => (sent ? res.end() : res.writeHead(500).end()));
    child.stdin.on('error', () => {});
    req.pipe(child.stdin);
    res.on('close', () => {
      if (!res.writableFinished && child.exitCode === null) child.kill('SIGKILL');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

/** A minimal GitHub API for one App: installation access tokens (the rest answers 404). */
export async function startGitHubApi() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  const tokens = new Set();
  const server = http.createServer((req, res) => {
    req.resume();
    if (req.method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(req.url)) {
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      tokens.add(token);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { contents: 'read', metadata: 'read' }, repository_selection: 'all' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'Not Found' }));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, appId: 4242, privateKey, tokens, close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

/** A bare repository whose HEAD names `main`, accepting force pushes and deletions. */
export function initBare(dir) {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  git(['init', '--bare', '--quiet', '--initial-branch=main', dir]);
}

const GIT_IDENTITY = { GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };

/** Adds one commit on top of `ref` in a bare repository, without a working copy; returns its sha. */
export function commitInBare(dir, ref = 'refs/heads/main', message = `change ${Date.now()}`) {
  let parent = '';
  try {
    parent = git(['-C', dir, 'rev-parse', '--verify', '--quiet', ref], { stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    // an unborn branch: the first commit
  }
  const blob = git(['-C', dir, 'hash-object', '-w', '--stdin'], { input: `${message} ${randomUUID()}\n` });
  const tree = git(['-C', dir, 'mktree'], { input: `100644 blob ${blob}\tREADME.md\n` });
  const sha = git(['-C', dir, 'commit-tree', tree, ...(parent ? ['-p', parent] : []), '-m', message], { env: { ...process.env, ...GIT_IDENTITY } });
  git(['-C', dir, 'update-ref', ref, sha]);
  return sha;
}

/** Signs and sends a webhook delivery; resolves with the HTTP status. */
export async function deliver(baseUrl, event, payload) {
  const body = JSON.stringify(payload);
  const res = await fetch(`${baseUrl}/api/github/webhooks`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': randomUUID(),
      'x-hub-signature-256': `sha256=${createHmac('sha256', WEBHOOK_SECRET).update(body).digest('hex')}`,
      'user-agent': 'GitHub-Hookshot/bench',
    },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** A repository as push and installation payloads carry it. */
export function repoJson(id, owner, name) {
  return { id, node_id: `R_${id}`, name, full_name: `${owner}/${name}`, private: true, owner: { login: owner, id: 900, type: 'Organization' }, default_branch: 'main', html_url: `https://github.com/${owner}/${name}` };
}

/** Operator API call against Switchyard. */
export async function api(baseUrl, pathname, body, method = body === undefined ? 'GET' : 'POST') {
  const headers = { authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const res = await fetch(`${baseUrl}${pathname}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${pathname}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/**
 * Starts Switchyard (built): `switchyard start` on SQLite, or `web` + `worker` processes on
 * PostgreSQL (`databaseUrl`). Resolves with its URL and a stop function.
 */
export async function startSwitchyard({ dataDir, env, databaseUrl, logFile }) {
  const port = await freePort();
  const base = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    SWITCHYARD_DATA_DIR: dataDir,
    WEBHOOK_SECRET,
    SWITCHYARD_API_TOKEN: API_TOKEN,
    LOG_LEVEL: 'warn',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  };
  const bin = path.join(REPO_ROOT, 'bin/switchyard.js');
  const procs = databaseUrl
    ? [startProcess({ name: 'web', cmd: process.execPath, args: [bin, 'web'], env: base, cwd: dataDir, logFile }), startProcess({ name: 'worker', cmd: process.execPath, args: [bin, 'worker'], env: base, cwd: dataDir, logFile })]
    : [startProcess({ name: 'switchyard', cmd: process.execPath, args: [bin, 'start'], env: base, cwd: dataDir, logFile })];
  const ready = await waitForPort(procs[0], port, { timeoutMs: 60_000 });
  if (!ready.ok) throw new Error(`Switchyard did not start: ${ready.reason}\n${procs.flatMap((p) => p.tail).join('\n')}`);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const r = await fetch(`${url}/readyz`).catch(() => null);
    if (r?.status === 200) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return { url, procs, stop: () => Promise.all(procs.map((p) => stopProcess(p))) };
}

/** Waits until `fn()` is truthy (polling every `everyMs`). */
export async function until(what, fn, timeoutMs = 120_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
