/**
 * Administration of people (administrators only): list, create local accounts, change roles,
 * deactivate, reset passwords, and grant local accounts access to installations.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { toBool } from '../db/index.js';
import { adminOf } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { cursorSchema, decodeCursor, limitSchema, pageOf } from '../http/paging.js';
import { isUuid } from '../db/index.js';
import { BadRequest, Conflict, NotFound } from './errors.js';
import { createUserBody, idParams, patchUserBody, publicUser, userInstallationParams } from './schema.js';
import { createLocalUser } from './create-user.js';
import { hashPassword, passwordProblem } from './passwords.js';
import { revokeAllSessions } from './sessions.js';
import { getUser, grantInstallation, listUsers, presentUser, revokeInstallation, updateUser, userInstallationIds } from './users-repo.js';

const userDetail = publicUser.extend({ installation_ids: z.array(z.number()) });

async function activeAdmins(db: Database): Promise<number> {
  const r = await db.kysely
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('is_admin', '=', true)
    .where('is_active', '=', true)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function usersRoutes(app: FastifyInstance, deps: { db: Database }): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  const load = async (id: string) => {
    const u = await getUser(db.kysely, id);
    if (!u) throw new NotFound('User');
    return u;
  };
  const detail = async (id: string) => {
    const u = await load(id);
    return { ...presentUser(u), installation_ids: await userInstallationIds(db.kysely, u.id) };
  };

  r.get(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Every user (administrators)',
        querystring: z.object({ limit: limitSchema, cursor: cursorSchema }),
        response: { 200: z.object({ items: z.array(publicUser), next_cursor: z.string().nullable() }), 403: errorResponse },
      },
    },
    async (req) => {
      adminOf(req);
      const after = req.query.cursor ? decodeCursor(req.query.cursor, 'string', isUuid) : undefined;
      const rows = await listUsers(db.kysely, { afterId: after, limit: req.query.limit });
      const page = pageOf(rows, req.query.limit, (u) => u.id);
      return { items: page.items.map(presentUser), next_cursor: page.next_cursor };
    },
  );

  r.post(
    '/api/users',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a local account (administrators)',
        body: createUserBody,
        response: { 201: userDetail, 400: errorResponse, 403: errorResponse, 409: errorResponse },
      },
    },
    async (req, reply) => {
      adminOf(req);
      const user = await createLocalUser(db, {
        username: req.body.username,
        password: req.body.password,
        email: req.body.email,
        name: req.body.name,
        isAdmin: req.body.is_admin ?? false,
      });
      reply.code(201);
      return detail(user.id);
    },
  );

  r.get(
    '/api/users/:id',
    { schema: { tags: ['users'], summary: 'One user, with the installations they may see (administrators)', params: idParams, response: { 200: userDetail, 404: errorResponse } } },
    async (req) => {
      adminOf(req);
      return detail(req.params.id);
    },
  );

  r.patch(
    '/api/users/:id',
    {
      schema: {
        tags: ['users'],
        summary: 'Change a user: administrator role, active, password reset, email, name (administrators)',
        params: idParams,
        body: patchUserBody,
        response: { 200: userDetail, 400: errorResponse, 404: errorResponse, 409: errorResponse },
      },
    },
    async (req) => {
      adminOf(req);
      const user = await load(req.params.id);
      const b = req.body;
      const losesAdmin = toBool(user.is_admin) && toBool(user.is_active) && (b.is_admin === false || b.is_active === false);
      if (losesAdmin && (await activeAdmins(db)) <= 1) {
        throw new Conflict('LAST_ADMIN', 'This is the last active administrator: make someone else an administrator first');
      }
      let passwordHash: string | undefined;
      if (b.password !== undefined) {
        const problem = passwordProblem(b.password, user.username);
        if (problem) throw new BadRequest(`password ${problem}`, 'PASSWORD_WEAK');
        passwordHash = await hashPassword(b.password);
      }
      await updateUser(db.kysely, user.id, {
        ...(b.is_admin !== undefined ? { is_admin: b.is_admin } : {}),
        ...(b.is_active !== undefined ? { is_active: b.is_active } : {}),
        ...(b.email !== undefined ? { email: b.email } : {}),
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(passwordHash ? { password_hash: passwordHash } : {}),
      });
      if (b.is_active === false || passwordHash) await revokeAllSessions(db, user.id);
      return detail(user.id);
    },
  );

  r.put(
    '/api/users/:id/installations/:installation_id',
    { schema: { tags: ['users'], summary: 'Let a user see an installation (administrators)', params: userInstallationParams, response: { 200: userDetail, 404: errorResponse } } },
    async (req) => {
      adminOf(req);
      await load(req.params.id);
      await grantInstallation(db.kysely, req.params.id, req.params.installation_id);
      return detail(req.params.id);
    },
  );

  r.delete(
    '/api/users/:id/installations/:installation_id',
    { schema: { tags: ['users'], summary: 'Stop a user seeing an installation (administrators)', params: userInstallationParams, response: { 200: userDetail, 404: errorResponse } } },
    async (req) => {
      adminOf(req);
      await load(req.params.id);
      if (!(await revokeInstallation(db.kysely, req.params.id, req.params.installation_id))) throw new NotFound('Installation grant');
      return detail(req.params.id);
    },
  );
}
