// "As the API serves it": GET /api/events through the project's own route (dist/webhooks/events-routes.js)
// in a Fastify instance with the server's validator, serializer and error handler, called with
// inject (in-process: what is timed is the server's work for one request — parsing and validating
// the query, the page's statements, serialising the answer — without a socket). The viewer is set
// by a hook from the scope under test, as the operator token is (no statement); a session cookie
// or a personal token adds the identity slice's lookups (src/identity/authenticate.ts), the same
// for every filter.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';

export async function eventsApi(repoRoot, db) {
  const f = (p) => pathToFileURL(path.join(repoRoot, 'dist', p)).href;
  const { eventsRoutes } = await import(f('webhooks/events-routes.js'));
  const { installErrorHandler } = await import(f('http/error-handler.js'));
  const { encodeCursor } = await import(f('http/paging.js'));
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  app.decorateRequest('auth', null);
  const scopes = new Map();
  app.addHook('onRequest', async (req) => {
    req.auth = { viewer: { kind: 'operator', isAdmin: true }, scope: scopes.get(req.headers['x-bench-scope']) };
  });
  await app.register(async (s) => eventsRoutes(s, { db, queue: null, payloads: null }));
  await app.ready();
  return {
    close: () => app.close(),
    /** One GET /api/events for these listEvents parameters; the items (limit + 1 when there is a next page, as listEvents counts). */
    async call(p) {
      const key = JSON.stringify(p.scope);
      if (!scopes.has(key)) scopes.set(key, p.scope);
      const q = new URLSearchParams({ limit: String(p.limit) });
      for (const k of ['repository', 'type', 'action', 'status']) if (p[k] !== undefined) q.set(k, p[k]);
      for (const k of ['since', 'until']) if (p[k]) q.set(k, p[k].toISOString());
      if (p.beforeId) q.set('cursor', encodeCursor(p.beforeId));
      const res = await app.inject({ method: 'GET', url: `/api/events?${q}`, headers: { 'x-bench-scope': key } });
      if (res.statusCode !== 200) throw new Error(`GET /api/events?${q}: ${res.statusCode} ${res.body}`);
      const body = res.json();
      return { length: body.items.length + (body.next_cursor ? 1 : 0) };
    },
  };
}

/** Counts the statements sent to PostgreSQL (node-pg's Client.query), to report round trips per request. */
export async function countPostgresStatements() {
  const pg = (await import('pg')).default;
  const counter = { n: 0 };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function counted(...args) {
    counter.n++;
    return query.apply(this, args);
  };
  return counter;
}
