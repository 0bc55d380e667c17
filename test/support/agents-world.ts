/**
 * Everything an agents test needs, started together: the fake GitHub (App, installation, issues,
 * pull requests, reviews), a real git server for its repositories that accepts pushes from the
 * installation's token (as github.com does for an App with Contents: write), the fake LLM servers
 * behind the real LLM slice, and a real Switchyard on the given database. The repository is
 * seeded with a tiny project whose declared test (`node test.js`) passes once `src/greet.js`
 * greets correctly.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import type { Dialect } from '../../src/db/index.js';
import { createBudget, createProvider } from '../../src/llm/index.js';
import { describeSandbox } from '../../src/automations/agents/index.js';
import { startTestApp, type TestApp } from './app.js';
import { installationPayload, issuesPayload, startFakeGitHub, type FakeGitHub, type RepositoryJson } from './fake-github/index.js';
import { startFakeLlm, type FakeLlm } from './fake-llm/index.js';
import { GitServer, type Decision, type GitRequestInfo } from './git-server/index.js';
import { WorkingCopy } from './git-server/working-copy.js';
import { recordSecret } from './secret-ledger.js';
import { TEST_SECRET } from './sign.js';

export const LLM_KEY = 'sk-test-fake-llm-key-7f3a9c1e5b2d4680';
export const MODEL = 'gpt-4o';

export interface AgentsWorld {
  /** The environment of this Switchyard (for more processes on the same database and data dir). */
  env: Record<string, string>;
  fake: FakeGitHub;
  git: GitServer;
  llm: FakeLlm;
  t: TestApp;
  installationId: number;
  repo: RepositoryJson;
  bare: string;
  wc: WorkingCopy;
  projectId: string;
  api(pathname: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(pathname: string, init?: { method?: string; body?: unknown }): Promise<any>;
  deliver(event: string, payload: Record<string, unknown>): Promise<void>;
  /** Opens an issue and labels it `switchyard` as `alice` (who may write); returns its number. */
  labelIssue(title: string, body: string, opts?: { sender?: string }): Promise<number>;
  /** Waits for the conversation of an issue to satisfy `check`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  waitConversation(issue: number, check: (c: any) => boolean, timeoutMs?: number): Promise<any>;
  /** The tip of a branch in the bare repository (undefined when it does not exist). */
  branchHead(branch: string): string | undefined;
  /** A file at a ref of the bare repository. */
  show(ref: string, file: string): string;
  close(): Promise<void>;
}

export const sandboxKind = describeSandbox('bwrap').ok ? 'bwrap' : 'none';

export async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function gitIn(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

export async function startAgentsWorld(dialect: Dialect, env: Record<string, string> = {}, opts: { login?: string; roles?: { web: boolean; worker: boolean; scheduler: boolean }; /** Runs once Switchyard is up, before any delivery (start worker processes here). */ beforeSetup?: (env: Record<string, string>) => Promise<void> } = {}): Promise<AgentsWorld> {
  recordSecret(LLM_KEY);
  const fake = await startFakeGitHub();
  const app = fake.createApp({ permissions: { metadata: 'read', contents: 'write', issues: 'write', pull_requests: 'write' }, events: ['issues', 'issue_comment'] });
  recordSecret(app.privateKey, app.webhookSecret, app.clientSecret);
  const login = opts.login ?? 'acme';
  const inst = fake.addInstallation({ account: { login, type: 'Organization' } });
  // github.com's git for an App: HTTP Basic x-access-token:<installation token>; pushes allowed (Contents: write).
  const authorize = (info: GitRequestInfo): Decision => {
    const c = info.credentials;
    if (c.kind === 'none') return { ok: false, status: 401, message: 'Authentication required' };
    const token = c.kind === 'basic' ? c.password : c.token;
    return fake.installationTokenCanRead(token, info.repo) ? { ok: true, user: 'x-access-token' } : { ok: false, status: 401, message: 'Invalid username or token.' };
  };
  const git = await GitServer.start({ authorize });
  const repo = fake.addRepository(inst.id, { name: 'greeter', private: true, defaultBranch: 'main' });
  const bare = git.createBareRepo(repo.full_name, 'main');
  const wc = new WorkingCopy(bare, 'main');
  const fsx = await import('node:fs');
  const pathx = await import('node:path');
  fsx.mkdirSync(pathx.join(wc.dir, 'src'), { recursive: true });
  fsx.writeFileSync(pathx.join(wc.dir, 'src/greet.js'), "exports.greet = (name) => 'TODO';\n");
  fsx.writeFileSync(
    pathx.join(wc.dir, 'test.js'),
    "const assert = require('node:assert');\nconst { greet } = require('./src/greet.js');\nassert.strictEqual(greet('Ada'), 'Hello, Ada!');\nconsole.log('1 test passed');\n",
  );
  fsx.mkdirSync(pathx.join(wc.dir, '.github/workflows'), { recursive: true });
  fsx.writeFileSync(pathx.join(wc.dir, '.github/workflows/ci.yml'), 'on: push\njobs: {}\n');
  fsx.writeFileSync(pathx.join(wc.dir, 'AGENTS.md'), 'Use CommonJS. Keep functions small.\n');
  wc.git('add', '-A');
  wc.git('commit', '--quiet', '-m', 'a greeter');
  wc.push('HEAD:refs/heads/main');
  fake.setBranchResolver((repoId, branch) => {
    const r = fake.getRepository(repoId);
    try {
      return gitIn(git.repoDir(r.full_name), 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`) || undefined;
    } catch {
      return undefined;
    }
  });
  fake.addUser({ login: 'alice' });
  fake.addUser({ login: 'mallory' });
  fake.setCollaborator(repo.id, 'alice', 'write');

  const llm = await startFakeLlm();
  const appEnv = {
    GITHUB_URL: fake.url,
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_GIT_URL: git.url,
    APP_ID: String(app.id),
    PRIVATE_KEY: app.privateKey,
    AGENTS_SANDBOX: sandboxKind,
    ...env,
  };
  const t = await startTestApp(dialect, appEnv, opts.roles);
  fake.setWebhookTarget(`${t.url}/api/github/webhooks`, TEST_SECRET);

  const api: AgentsWorld['api'] = (pathname, init = {}) =>
    t.api(pathname, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
    });
  const json: AgentsWorld['json'] = async (pathname, init) => (await api(pathname, init)).json();
  const deliver: AgentsWorld['deliver'] = async (event, payload) => {
    const outcome = await fake.deliver(event, payload);
    expect(outcome, `delivery of ${event}`).toBeTruthy();
    await t.settle();
  };

  const fullEnv = { ...appEnv, SWITCHYARD_DATA_DIR: t.config.dataDir, ...(t.config.database.kind === 'postgres' ? { DATABASE_URL: t.config.database.url, DATABASE_POOL_SIZE: '4' } : {}) };
  await opts.beforeSetup?.(fullEnv);
  await deliver('installation', installationPayload(fake, inst.id, 'created'));
  await createProvider(t.app.llm.manage, { name: 'fake', kind: 'openai', baseUrl: llm.openaiBaseUrl, apiKey: LLM_KEY });
  const model = { provider: 'fake', model: MODEL, temperature: 0, max_tokens: 800, max_turns: 8 };
  const created = await api('/api/agents/projects', {
    body: {
      repository: repo.full_name,
      commands: { test: 'node test.js' },
      agents: ['orchestrator', 'architect', 'coder', 'tester', 'reviewer'].map((role) => ({ role, model_config: model })),
    },
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const projectId = ((await created.json()) as { id: string }).id;

  return {
    env: fullEnv,
    fake,
    git,
    llm,
    t,
    installationId: inst.id,
    repo,
    bare,
    wc,
    projectId,
    api,
    json,
    deliver,
    async labelIssue(title, body, o = {}) {
      const issue = fake.addIssue(repo.id, { title, body, user: 'mallory', labels: ['switchyard'] });
      const number = Number(issue.number);
      await deliver('issues', issuesPayload(fake, inst.id, repo.id, number, 'labeled', { sender: o.sender ?? 'alice', label: 'switchyard' }));
      return number;
    },
    async waitConversation(issue, check, timeoutMs = 90_000) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let last: any;
      try {
        return await until(
          `the conversation of #${issue}`,
          async () => {
            const list = (await json('/api/agents/conversations?limit=200')) as { items: Array<{ id: string; issue_number: number }> };
            const c = list.items.find((x) => x.issue_number === issue);
            if (!c) return null;
            last = await json(`/api/agents/conversations/${c.id}`);
            return check(last) ? last : null;
          },
          timeoutMs,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)?.slice(0, 3000)}`, { cause: err });
      }
    },
    branchHead(branch) {
      try {
        return gitIn(bare, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`) || undefined;
      } catch {
        return undefined;
      }
    },
    show(ref, file) {
      return gitIn(bare, 'show', `${ref}:${file}`);
    },
    async close() {
      await t.close();
      await llm.close();
      wc.close();
      await git.close();
      await fake.close();
    },
  };
}

export { createBudget };
