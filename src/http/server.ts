/**
 * Builds the Fastify app: error handling, the API token guard, metrics, health checks, the
 * OpenAPI document at /api/docs, and the slices' routes. Routes live with their slice.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Database } from '../db/index.js';
import { pendingMigrations } from '../db/index.js';
import type { Logger } from '../log/index.js';
import { AppError } from './app-error.js';
import type { Auth } from './auth-context.js';
import { installErrorHandler } from './error-handler.js';
import type { Metrics } from './metrics.js';

export interface ServerDeps {
  db: Database;
  log: Logger;
  metrics: Metrics;
  /** Resolves a request's credentials (operator token, API token, session); null when it has none. */
  authenticate(req: FastifyRequest): Promise<Auth | null>;
  /** Route plugins mounted after the core (each slice's `routes`). */
  plugins: Array<(app: FastifyInstance) => Promise<void>>;
  /** Plugins mounted in their own encapsulated context (the webhook receiver, with its body parser). */
  isolatedPlugins: Array<(app: FastifyInstance) => Promise<void>>;
  version: string;
  trustProxy?: boolean | number | string;
  /** METRICS_TOKEN: /metrics on this server answers only this bearer token (none: not served here). */
  metricsToken?: string;
}

/** Constant-time comparison of two secrets (of any length). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ slice: 'http' }) as FastifyBaseLogger,
    // Per-request info logs cost throughput on the webhook path; metrics record every request instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // X-Forwarded-For is believed only from configured proxies (TRUST_PROXY).
    // (A number or an address list is fine at run time; the cast only picks the plain-HTTP overload.)
    trustProxy: (deps.trustProxy ?? false) as boolean,
    return503OnClosing: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'Switchyard API', version: deps.version, description: 'Event log and GitHub state of a Switchyard server.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  await app.register(fastifyCookie);
  app.decorateRequest('auth', null);
  // No parameter may hold NUL: PostgreSQL cannot compare text with it, and no id, name or filter
  // of ours contains one. Refused before routing, the same on both databases.
  app.addHook('onRequest', async (req) => {
    if (req.url.includes('\0') || /%00/i.test(req.url)) {
      throw new AppError('INVALID_PARAMETER', 400, 'A path or query parameter holds a NUL character (%00)');
    }
  });
  // Every /api route needs credentials unless its config says `auth: 'optional'` or `'none'`.
  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0] ?? '';
    const policy = req.routeOptions.config?.auth ?? 'required';
    if (policy === 'none') return;
    if (!path.startsWith('/api/') && policy !== 'optional') return;
    req.auth = await deps.authenticate(req);
    if (!req.auth && policy === 'required') {
      throw new AppError('UNAUTHORIZED', 401, 'Sign in first, or send a bearer token (Authorization: Bearer <token>)');
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    deps.metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      const pending = await pendingMigrations(deps.db);
      if (pending.length > 0) return reply.code(503).send({ status: 'not_ready', reason: `migrations pending: ${pending.join(', ')}` });
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'not_ready', reason: 'database unreachable' });
    }
  });
  // Prometheus: only with METRICS_TOKEN as a bearer token, or on the separate METRICS_PORT
  // listener (metrics-listener.ts); what Switchyard counts is not for anyone who can reach it.
  app.get('/metrics', { schema: { hide: true }, config: { auth: 'none' } }, async (req, reply) => {
    if (!deps.metricsToken) {
      throw new AppError('NOT_FOUND', 404, '/metrics is served only with METRICS_TOKEN (Authorization: Bearer …) or on METRICS_PORT');
    }
    const sent = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim() ?? '';
    if (!sameSecret(sent, deps.metricsToken)) {
      throw new AppError('UNAUTHORIZED', 401, 'Send the metrics token: Authorization: Bearer <METRICS_TOKEN>', { headers: { 'www-authenticate': 'Bearer' } });
    }
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.render();
  });
  app.get('/api/docs', { schema: { hide: true }, config: { auth: 'none' } }, async () => app.swagger());

  for (const plugin of deps.isolatedPlugins) await app.register(plugin);
  for (const plugin of deps.plugins) await app.register(async (scope) => plugin(scope));
  return app;
}
