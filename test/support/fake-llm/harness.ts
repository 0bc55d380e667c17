/**
 * A test database, the LLM slice over it and the fake providers, wired together: providers
 * `openai` (kind openai) and `anthropic` (kind anthropic) point at the fake, with recorded test
 * keys; logs are captured (and saved for the run's secret check).
 *
 * @example
 * const h = await startLlmHarness('sqlite');
 * h.fake.script({ text: 'hi', usage: { input: 10, output: 2 } });
 * const r = await h.llm.complete({ provider: 'openai', model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], maxTokens: 100, scope: {} });
 * await h.close();
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Dialect } from '../../../src/db/index.js';
import { createSecretBox } from '../../../src/identity/index.js';
import { createLogger } from '../../../src/log/index.js';
import { createLlmSlice, createProvider, type LlmSlice, type LlmSliceDeps } from '../../../src/llm/index.js';
import type { NewNotification } from '../../../src/notify/index.js';
import { createTestDatabase, type TestDatabase } from '../databases.js';
import { recordSecret, saveLog } from '../secret-ledger.js';
import { startFakeLlm, type FakeLlm } from './index.js';

export interface LlmHarness {
  t: TestDatabase;
  llm: LlmSlice;
  fake: FakeLlm;
  logs: string[];
  /** The keys the two providers were given (recorded: they must appear in no log). */
  keys: { openai: string; anthropic: string };
  /** Notices sent (they are also stored as in-app notifications). */
  notices: NewNotification[];
  /** The clock the slice reads (settable). */
  clock: { now: Date | null };
  close(): Promise<void>;
}

export async function startLlmHarness(dialect: Dialect, options: Partial<Pick<LlmSliceDeps, 'overridesTtlMs'>> & { fake?: FakeLlm } = {}): Promise<LlmHarness> {
  const t = await createTestDatabase(dialect);
  const fake = options.fake ?? (await startFakeLlm());
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const log = createLogger('debug', sink);
  const box = createSecretBox(randomBytes(32));
  const notices: NewNotification[] = [];
  const clock: { now: Date | null } = { now: null };
  const { notify } = await import('../../../src/notify/index.js');
  const llm = createLlmSlice({
    db: t.db,
    box,
    log,
    now: () => clock.now ?? new Date(),
    overridesTtlMs: options.overridesTtlMs ?? 0,
    notify: async (db, n) => {
      notices.push(n);
      await notify(db, n);
    },
  });
  const keys = { openai: `sk-proj-${randomBytes(24).toString('hex')}`, anthropic: `sk-ant-api03-${randomBytes(24).toString('hex')}` };
  recordSecret(keys.openai, keys.anthropic);
  await createProvider(llm.manage, { name: 'openai', kind: 'openai', baseUrl: fake.openaiBaseUrl, apiKey: keys.openai });
  await createProvider(llm.manage, { name: 'anthropic', kind: 'anthropic', baseUrl: fake.anthropicBaseUrl, apiKey: keys.anthropic });
  return {
    t,
    llm,
    fake,
    logs,
    keys,
    notices,
    clock,
    async close() {
      saveLog(logs);
      if (!options.fake) await fake.close();
      await t.drop();
    },
  };
}
