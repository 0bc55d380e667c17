// A process that makes one LLM call through the compiled slice (dist/) and never finishes it: the
// test kills it with SIGKILL once the fake provider holds the request. Arguments: <dialect>
// <database (file or URL)> <openai base URL>. Prints "reserving" before the call.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;
const { openSqlite, openPostgres } = await import(dist('db/index.js'));
const { createSecretBox } = await import(dist('identity/index.js'));
const { createLogger } = await import(dist('log/index.js'));
const { createLlmSlice, createProvider } = await import(dist('llm/index.js'));

const [dialect, location, baseUrl] = process.argv.slice(2);
const db = dialect === 'sqlite' ? openSqlite(location) : openPostgres(location, 2);
const llm = createLlmSlice({ db, box: createSecretBox(randomBytes(32)), log: createLogger('silent') });
await createProvider(llm.manage, { name: 'child', kind: 'openai', baseUrl, apiKey: `sk-child-${randomBytes(8).toString('hex')}` });
process.stdout.write('reserving\n');
await llm.complete({ provider: 'child', model: 'gpt-4o', messages: [{ role: 'user', content: 'never answered' }], maxTokens: 1000, scope: { projectId: 'killed' }, timeoutMs: 60_000 });
process.stdout.write('answered (not expected)\n');
