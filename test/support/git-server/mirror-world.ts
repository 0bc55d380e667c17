/**
 * Everything a mirror test needs, started together: the fake GitHub with an App and an
 * installation, its git server (GitHubSource), a real Switchyard on the given database with
 * GITHUB_GIT_URL pointing at that git server, webhooks from the fake to Switchyard, and helpers to
 * deliver events and wait for mirror states through the API.
 */
import { expect } from 'vitest';
import type { Dialect } from '../../../src/db/index.js';
import { startTestApp, type TestApp } from '../app.js';
import { startFakeGitHub, type FakeGitHub } from '../fake-github/index.js';
import { recordSecret } from '../secret-ledger.js';
import { TEST_SECRET } from '../sign.js';
import { GitHubSource } from './github-source.js';

export interface MirrorWorld {
  fake: FakeGitHub;
  source: GitHubSource;
  t: TestApp;
  installationId: number;
  /** Authorised API call; JSON body for objects. */
  api(pathname: string, init?: { method?: string; body?: unknown }): Promise<Response>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json(pathname: string, init?: { method?: string; body?: unknown }): Promise<any>;
  /** Delivers a webhook and waits until Switchyard processed it. */
  deliver(event: string, payload: Record<string, unknown>): Promise<void>;
  /** Waits until the mirror of `fullName` (to `target`) satisfies `check`; returns it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  waitMirror(fullName: string, check: (m: any) => boolean, opts?: { target?: string; timeoutMs?: number }): Promise<any>;
  /** The sync log events of a repository, oldest first. */
  logEvents(fullName: string, target?: string): Promise<string[]>;
  close(): Promise<void>;
}

export const MIRROR_TEST_ENV = {
  MIRROR_ALLOWED_ADDRESSES: '127.0.0.0/8',
  MIRROR_POLL_MS: '100',
  MIRROR_RETRY_BASE_MS: '300',
  MIRROR_LEASE_SECONDS: '5',
  // The mirror's tests count the source's git requests (and script failures into them): the pets,
  // which fetch the same repositories, stay off here (test/pets*.test.ts cover them).
  PETS_ENABLED: 'false',
};

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
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startMirrorWorld(dialect: Dialect, env: Record<string, string> = {}): Promise<MirrorWorld> {
  const fake = await startFakeGitHub();
  const app = fake.createApp({ permissions: { metadata: 'read', contents: 'read' }, events: ['push', 'create', 'delete', 'star', 'watch', 'repository'] });
  recordSecret(app.privateKey, app.webhookSecret, app.clientSecret);
  const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } });
  const source = await GitHubSource.start(fake);
  const t = await startTestApp(dialect, {
    GITHUB_URL: fake.url,
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_GIT_URL: source.url,
    APP_ID: String(app.id),
    PRIVATE_KEY: app.privateKey,
    ...MIRROR_TEST_ENV,
    ...env,
  });
  fake.setWebhookTarget(`${t.url}/api/github/webhooks`, TEST_SECRET);

  const api: MirrorWorld['api'] = (pathname, init = {}) =>
    t.api(pathname, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
    });
  const json: MirrorWorld['json'] = async (pathname, init) => (await api(pathname, init)).json();

  return {
    fake,
    source,
    t,
    installationId: inst.id,
    api,
    json,
    async deliver(event, payload) {
      const outcome = await fake.deliver(event, payload);
      expect(outcome, `delivery of ${event}`).toBeTruthy();
      await t.settle();
    },
    async waitMirror(fullName, check, opts = {}) {
      const q = opts.target ? `?target=${encodeURIComponent(opts.target)}` : '';
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      let last: any;
      try {
        return await until(
          `the mirror of ${fullName}`,
          async () => {
            const res = await api(`/api/mirror/repositories/${fullName}${q}`);
            if (res.status !== 200) return null;
            const body = (await res.json()) as { items: unknown[] };
            last = body.items[0];
            return body.items.length > 0 && check(body.items[0]) ? body.items[0] : null;
          },
          opts.timeoutMs ?? 20_000,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}; last seen: ${JSON.stringify(last)}`, { cause: err });
      }
    },
    async logEvents(fullName, target) {
      const q = new URLSearchParams({ limit: '200', ...(target ? { target } : {}) });
      const body = (await json(`/api/mirror/repositories/${fullName}/logs?${q.toString()}`)) as { items: Array<{ event: string }> };
      return body.items.map((l) => l.event).reverse();
    },
    async close() {
      await t.close();
      await source.close();
      await fake.close();
    },
  };
}
