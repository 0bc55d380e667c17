/**
 * The installations API: `GET /api/installations` and `GET /api/installations/:installation_id`
 * (by GitHub installation id), within the viewer's scope: an installation outside it is not
 * listed and answers 404 exactly as an unknown one does.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { isUuid } from '../db/index.js';
import { NotFound } from '../http/app-error.js';
import { authOf } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import { getInstallation, listInstallations } from './read-repo.js';

const nullableString = z.string().nullable();

export const installationItem = z.object({
  id: z.string(),
  github_id: z.number(),
  account_login: nullableString.describe('the user or organization the app is installed on'),
  account_type: nullableString.describe('User, Organization or Enterprise'),
  target_type: nullableString,
  repository_selection: nullableString.describe('all or selected'),
  status: z.enum(['active', 'suspended', 'deleted']),
  suspended_at: nullableString,
  deleted_at: nullableString,
  repository_count: z.number().describe('live repositories of this installation (deleted ones are not counted)'),
  created_at: z.string(),
  updated_at: z.string(),
});

export const installationParams = z.object({
  installation_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).describe('GitHub installation id'),
});

export async function installationsRoutes(app: FastifyInstance, deps: { db: Database }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  r.get(
    '/api/installations',
    {
      schema: {
        tags: ['state'],
        summary: 'Installations of the GitHub App the viewer may see, newest first',
        querystring: z.object({ limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(installationItem), next_cursor: z.string().nullable() }), 400: errorResponse },
      },
    },
    async (req) => {
      const { scope } = authOf(req);
      const beforeId = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      return pageOf(await listInstallations(db, { scope, beforeId, limit: req.query.limit }), req.query.limit, (l) => l.id);
    },
  );

  r.get(
    '/api/installations/:installation_id',
    {
      schema: {
        tags: ['state'],
        summary: 'One installation, by its GitHub id',
        params: installationParams,
        response: { 200: installationItem, 404: errorResponse },
      },
    },
    async (req) => {
      const installation = await getInstallation(db, req.params.installation_id, authOf(req).scope);
      if (!installation) throw new NotFound(`Installation ${req.params.installation_id}`);
      return installation;
    },
  );
}
