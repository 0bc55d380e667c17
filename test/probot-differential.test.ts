/**
 * Differential tests: the same Probot app runs on real `probot@14` and on `@switchyard/probot`
 * (standalone, as in an app's own test suite, and hosted, as Switchyard runs it) against a local
 * recording GitHub. The HTTP requests (method, path, the headers that matter, body), the errors
 * `receive` rejects with and the shape of the log lines must be the same.
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import * as real from 'probot';
import * as pkg from '@switchyard/probot';
import { loadHostedApp } from '@switchyard/probot/host';
import { startRecordingGitHub, type RecordedRequest, type Route } from './support/recording-github.js';

type Lib = typeof real;
type AppFn = (app: real.Probot) => void | Promise<void>;
interface WebhookEvent {
  id: string;
  name: string;
  payload: Record<string, unknown>;
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

const issuesOpened = (id: string, installation: number | null = 1): WebhookEvent => ({
  id,
  name: 'issues',
  payload: {
    action: 'opened',
    ...(installation === null ? {} : { installation: { id: installation } }),
    repository: { id: 10, name: 'repo', full_name: 'octo/repo', owner: { login: 'octo' } },
    issue: { number: 7, title: 'Bug' },
    sender: { login: 'someone', type: 'User' },
  },
});

const tokenRoute: Route = (r) =>
  r.method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(r.path)
    ? { status: 201, body: { token: 'ghs_installation', expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { issues: 'write' }, repository_selection: 'all' } }
    : undefined;

const ok: Route = (r) => (r.method === 'POST' && r.path.endsWith('/comments') ? { status: 201, body: { id: 1 } } : undefined);

/** What a request says that matters: the JWT's value changes every second, so only its kind is kept. */
function normalize(r: RecordedRequest) {
  const pick = ['x-github-delivery', 'accept', 'content-type', 'user-agent', 'authorization'];
  const headers: Record<string, string> = {};
  for (const k of pick) if (r.headers[k] !== undefined) headers[k] = r.headers[k] as string;
  if (headers.authorization?.startsWith('bearer ')) headers.authorization = 'bearer <jwt>';
  return { method: r.method, path: r.path, headers, body: r.body };
}

function describeError(err: unknown) {
  const text = (m: string) => m.replace(/http:\/\/127\.0\.0\.1:\d+/g, '<github>');
  const one = (e: unknown) => ({ name: (e as Error).name, message: text((e as Error).message), status: (e as { status?: number }).status });
  if (err instanceof AggregateError) return { aggregate: true, message: text(err.message), errors: err.errors.map(one) };
  return { aggregate: false, ...one(err) };
}

/** The shape of a log line: level, name, message and which keys it has (not their varying values). */
function logShape(line: Record<string, unknown>) {
  const { time: _t, pid: _p, hostname: _h, ...rest } = line;
  return { level: rest.level, name: rest.name, msg: typeof rest.msg === 'string' ? rest.msg.replace(/http:\/\/127\.0\.0\.1:\d+/g, '<github>') : rest.msg, keys: Object.keys(rest).sort() };
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'trace' },
    new Writable({
      write(chunk, _e, cb) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        cb();
      },
    }),
  );
  return { lines, log };
}

interface Outcome {
  requests: ReturnType<typeof normalize>[];
  errors: unknown[];
  logs: ReturnType<typeof logShape>[];
  results: unknown[];
}

/** Runs `appFn` standalone on a library (real probot or the package) and records what happened. */
async function runStandalone(lib: Lib, appFn: AppFn, events: WebhookEvent[], routes: Route[]): Promise<Outcome> {
  const gh = await startRecordingGitHub([tokenRoute, ...routes]);
  const { lines, log } = capture();
  const results: unknown[] = [];
  const errors: unknown[] = [];
  try {
    const probot = new lib.Probot({
      appId: 1,
      privateKey,
      log,
      baseUrl: gh.url,
      Octokit: lib.ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
    });
    await probot.load((app) => appFn(app as real.Probot));
    for (const e of events) {
      try {
        await probot.receive(e as never);
        results.push('ok');
      } catch (err) {
        errors.push(describeError(err));
      }
    }
  } finally {
    await gh.close();
  }
  return { requests: gh.requests.map(normalize), errors, logs: lines.map(logShape), results };
}

/** Runs `appFn` as Switchyard hosts it (tokens from the host) and records what happened. */
async function runHosted(appFn: AppFn, events: WebhookEvent[], routes: Route[]): Promise<Outcome> {
  const gh = await startRecordingGitHub([tokenRoute, ...routes]);
  const { lines, log } = capture();
  const results: unknown[] = [];
  const errors: unknown[] = [];
  try {
    const hosted = await loadHostedApp({
      name: 'diff',
      appFn,
      cwd: process.cwd(),
      appId: 1,
      baseUrl: gh.url,
      tokens: { installationToken: async () => 'ghs_installation', appToken: async () => 'app-jwt' },
      log,
      addHandler: () => undefined,
      requestRetries: 0,
    });
    for (const e of events) {
      try {
        await hosted.receive(e);
        results.push('ok');
      } catch (err) {
        errors.push(describeError(err));
      }
    }
  } finally {
    await gh.close();
  }
  const requests = gh.requests.map(normalize).map((r) => (r.headers.authorization === 'bearer app-jwt' ? { ...r, headers: { ...r.headers, authorization: 'bearer <jwt>' } } : r));
  return { requests, errors, logs: lines.map(logShape), results };
}

/** Real probot fetches an installation token from GitHub; the host has one already. */
const withoutTokenExchange = (o: Outcome) => ({
  ...o,
  requests: o.requests.filter((r) => !r.path.endsWith('/access_tokens')),
  logs: o.logs.filter((l) => !String(l.msg).includes('/access_tokens')),
});

async function compare(appFn: AppFn, events: WebhookEvent[], routes: Route[] = []) {
  const upstream = await runStandalone(real, appFn, events, routes);
  const ours = await runStandalone(pkg as unknown as Lib, appFn, events, routes);
  expect(ours).toEqual(upstream);
  const hosted = await runHosted(appFn, events, routes);
  expect(withoutTokenExchange(hosted)).toEqual(withoutTokenExchange(upstream));
  return upstream;
}

const servers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of servers) await s();
});

describe('probot differential: the package and real probot make the same requests', () => {
  it('a comment on issues.opened carries the delivery id, the installation token and the body', async () => {
    const out = await compare(
      (app) => {
        app.on('issues.opened', async (context) => {
          await context.octokit.rest.issues.createComment(context.issue({ body: 'Thanks!' }));
          context.log.info({ issue: context.issue().issue_number }, 'commented');
        });
      },
      [issuesOpened('d-1')],
      [ok],
    );
    const comment = out.requests.find((r) => r.path === '/repos/octo/repo/issues/7/comments');
    expect(comment).toMatchObject({ method: 'POST', headers: { 'x-github-delivery': 'd-1', authorization: 'token ghs_installation' }, body: { body: 'Thanks!' } });
    expect(out.logs.some((l) => l.msg === 'commented')).toBe(true);
  });

  it('config() with _extends reads both files in the same order and merges them', async () => {
    const files: Route = (r) => {
      if (r.path === '/repos/octo/repo/contents/.github%2Fbot.yml') return { text: '_extends: shared\nkey: local\nlist: [a]\n' };
      if (r.path === '/repos/octo/shared/contents/.github%2Fbot.yml') return { text: 'key: base\nother: 1\nlist: [b]\n' };
      return undefined;
    };
    const out = await compare(
      (app) => {
        app.on('issues', async (context) => {
          const config = await context.config('bot.yml', { fallback: true });
          await context.octokit.rest.issues.createComment(context.issue({ body: JSON.stringify(config) }));
        });
      },
      [issuesOpened('d-2')],
      [files, ok],
    );
    const paths = out.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths).toContain('GET /repos/octo/shared/contents/.github%2Fbot.yml');
    const body = out.requests.find((r) => r.path.endsWith('/comments'))?.body as { body: string };
    expect(JSON.parse(body.body)).toEqual({ fallback: true, key: 'local', other: 1, list: ['b', 'a'] });
  });

  it('config() falls back to the owner\'s .github repository, then to the defaults', async () => {
    const out = await compare(
      (app) => {
        app.on('issues.opened', async (context) => {
          const config = await context.config('missing.yml', { only: 'defaults' });
          await context.octokit.rest.issues.createComment(context.issue({ body: JSON.stringify(config) }));
        });
      },
      [issuesOpened('d-3')],
      [ok],
    );
    expect(out.requests.map((r) => r.path)).toContain('/repos/octo/.github/contents/.github%2Fmissing.yml');
  });

  it('paginate follows Link headers and graphql posts the query', async () => {
    const pages: Route = (r, base) => {
      if (r.path === '/repos/octo/repo/issues?per_page=1') return { body: [{ number: 1 }], headers: { link: `<${base}/repos/octo/repo/issues?per_page=1&page=2>; rel="next"` } };
      if (r.path === '/repos/octo/repo/issues?per_page=1&page=2') return { body: [{ number: 2 }] };
      if (r.path === '/graphql') return { body: { data: { viewer: { login: 'bot' } } } };
      return undefined;
    };
    const out = await compare(
      (app) => {
        app.on('issues.opened', async (context) => {
          const issues = await context.octokit.paginate(context.octokit.rest.issues.listForRepo, context.repo({ per_page: 1 }));
          const viewer = await context.octokit.graphql<{ viewer: { login: string } }>('query { viewer { login } }');
          await context.octokit.rest.issues.createComment(context.issue({ body: `${issues.map((i) => i.number).join(',')} ${viewer.viewer.login}` }));
        });
      },
      [issuesOpened('d-4')],
      [pages, ok],
    );
    expect(out.requests.find((r) => r.path.endsWith('/comments'))?.body).toEqual({ body: '1,2 bot' });
  });

  it('receive rejects with an AggregateError of every failing handler; onAny and onError see the event', async () => {
    const seen: string[] = [];
    const out = await compare(
      (app) => {
        app.onAny(async (context) => {
          seen.push(`any:${context.name}`);
        });
        app.onError(async (error) => {
          seen.push(`error:${error.errors.length}`);
        });
        app.on('issues.opened', async () => {
          throw new Error('handler bug');
        });
        app.on('issues', async (context) => {
          await context.octokit.request('GET /repos/{owner}/{repo}/nothing', context.repo());
        });
        app.on(['issues.opened', 'issues.closed'], async (context) => {
          context.log.warn('still runs');
        });
      },
      [issuesOpened('d-5'), issuesOpened('d-6', null)],
    );
    expect(out.errors).toHaveLength(2);
    expect(out.errors[0]).toMatchObject({ aggregate: true, errors: [{ message: 'handler bug' }, { status: 404 }] });
    // No installation: the client is unauthenticated and says why.
    expect((out.errors[1] as { message: string }).message).toContain('an "installation" key is missing');
    expect(seen.filter((s) => s.startsWith('error:')).length).toBeGreaterThan(0);
  });

  it('app.auth() authenticates as the App, app.auth(id) as the installation', async () => {
    const appRoute: Route = (r) => (r.path === '/app' ? { body: { id: 1, slug: 'bot' } } : r.path === '/installation/repositories' ? { body: { repositories: [] } } : undefined);
    await compare(
      (app) => {
        app.on('issues.opened', async () => {
          const asApp = await app.auth();
          await asApp.request('GET /app');
          const asInstallation = await app.auth(1);
          await asInstallation.request('GET /installation/repositories');
        });
      },
      [issuesOpened('d-7')],
      [appRoute],
    );
  });

  it("'*' and 'error' event names throw as in Probot, and so do missing credentials", async () => {
    const attempt = async (lib: Lib) => {
      const probot = new lib.Probot({ appId: 1, privateKey, log: capture().log });
      const messages: string[] = [];
      for (const name of ['*', 'error']) {
        try {
          probot.on(name as never, async () => undefined);
          messages.push('accepted');
        } catch (err) {
          messages.push((err as Error).message);
        }
      }
      for (const options of [{}, { appId: 1 }]) {
        try {
          new lib.Probot(options);
          messages.push('constructed');
        } catch (err) {
          messages.push((err as Error).message);
        }
      }
      messages.push(String(lib.Probot.version), String(probot.webhookPath));
      return messages;
    };
    const upstream = await attempt(real);
    expect(upstream.slice(0, 4).every((m) => m !== 'accepted' && m !== 'constructed')).toBe(true);
    expect(await attempt(pkg as unknown as Lib)).toEqual(upstream);
  });

  it('Probot.defaults and load with an array of app functions behave alike', async () => {
    const attempt = async (lib: Lib) => {
      const Defaulted = lib.Probot.defaults({ appId: 2, privateKey, log: capture().log });
      const probot = new Defaulted();
      const calls: string[] = [];
      await probot.load([() => void calls.push('a'), (_app, options) => void calls.push(typeof options.cwd)]);
      return { calls, instance: probot instanceof lib.Probot };
    };
    expect(await attempt(pkg as unknown as Lib)).toEqual(await attempt(real));
  });

  it("the package's `probot` command (an app's `probot run ./index.js`) is Probot's: help, version and errors alike", () => {
    // Real probot's bin, and the package's (declared in its package.json, as npm links it).
    const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'probot');
    const packageBin = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { bin?: Record<string, string> }).bin?.probot;
    expect(packageBin).toBeDefined();
    const realBin = join(dirname(createRequire(import.meta.url).resolve('probot')), '..', 'bin', 'probot.js');
    const invoke = (bin: string, args: string[]) => {
      const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    for (const args of [['--help'], ['--version'], ['no-such-command']]) {
      expect(invoke(join(packageDir, packageBin as string), args)).toEqual(invoke(realBin, args));
    }
    expect(invoke(realBin, ['--help']).stdout).toContain('Usage: probot');
  });
});
