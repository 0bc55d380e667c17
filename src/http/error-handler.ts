/**
 * The one place errors become responses: `{"error": code, "message": …}` with the right status.
 * AppErrors carry their own; request validation is 400; Fastify's own errors keep their status;
 * anything else is a 500 whose details go to the log, never to the client.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from './app-error.js';

export const errorResponse = z.object({ error: z.string(), message: z.string() });

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.headers) void reply.headers(err.headers);
      return reply.code(err.status).send({ error: err.code, message: err.message });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const detail = err.validation
        .map((v) => {
          const where = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
          return where ? `${where}: ${v.message}` : v.message;
        })
        .join('; ');
      return reply.code(400).send({ error: 'INVALID_REQUEST', message: `Invalid ${err.validationContext ?? 'request'}: ${detail}` });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status < 500) {
      const code = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : (err.code ?? 'BAD_REQUEST');
      return reply.code(status).send({ error: code, message: err.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'INTERNAL', message: 'Internal error; see the server log' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ error: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}` });
  });
}
