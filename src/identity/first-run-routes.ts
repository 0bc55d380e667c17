/**
 * The first run, identity side: `POST /api/setup/code` checks the one-time setup code and gives the
 * browser a grant (an HttpOnly cookie, see setup-code.ts); `POST /api/setup/admin` creates the first
 * administrator as a local account (the code is used up in the same transaction) and signs them in.
 * The App part of the wizard (manifest flow) is in src/github/setup-routes.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { errorResponse } from '../http/error-handler.js';
import { BadRequest, Conflict, SetupCodeRequired } from './errors.js';
import { hashPassword, PASSWORD_MAX, passwordProblem } from './passwords.js';
import { publicUser, usernameSchema } from './schema.js';
import type { SecretBox } from './secret-box.js';
import { issueSession } from './session-cookie.js';
import { checkSetupCode, consumeSetupCode, requireSetupGrant, SETUP_GRANT_COOKIE } from './setup-code.js';
import { findUserByUsername, insertUser, presentUser } from './users-repo.js';

export interface FirstRunDeps {
  db: Database;
  box: SecretBox;
  sessionDays: number;
  secureCookies: boolean;
}

const GRANT_MAX_AGE = 2 * 3600;

export const setupCodeBody = z.object({ code: z.string().max(100) });
export const firstAdminBody = z.object({
  username: z.string().trim().min(1).max(100),
  password: z.string().min(1).max(PASSWORD_MAX),
  email: z.string().trim().email().max(320).optional(),
  name: z.string().trim().min(1).max(200).optional(),
  /** The setup code itself, for clients without the grant cookie (scripts); a wrong one counts like any other. */
  setup_code: z.string().max(100).optional(),
});

/** The grant this request holds: from a setup code in the body (checked and counted), or the cookie. */
export async function grantOf(deps: FirstRunDeps, req: FastifyRequest, code: string | undefined): Promise<string | undefined> {
  if (code !== undefined) return checkSetupCode(deps, code, req.ip);
  return req.cookies[SETUP_GRANT_COOKIE];
}

export function setGrantCookie(reply: FastifyReply, grant: string, secure: boolean): void {
  void reply.setCookie(SETUP_GRANT_COOKIE, grant, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: GRANT_MAX_AGE });
}

export function clearGrantCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(SETUP_GRANT_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

export async function firstRunRoutes(app: FastifyInstance, deps: FirstRunDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  r.post(
    '/api/setup/code',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['setup'],
        summary: 'Check the one-time setup code of a server with no administrator; the browser keeps a grant (HttpOnly cookie) for the wizard',
        security: [],
        body: setupCodeBody,
        response: { 200: z.object({ ok: z.literal(true) }), 403: errorResponse, 409: errorResponse, 429: errorResponse },
      },
    },
    async (req, reply) => {
      const grant = await checkSetupCode(deps, req.body.code, req.ip);
      setGrantCookie(reply, grant, deps.secureCookies);
      req.log.info('setup code accepted');
      return { ok: true as const };
    },
  );

  r.post(
    '/api/setup/admin',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['setup'],
        summary: 'Create the first administrator (a local account) with the setup code, and sign them in; the code is used up',
        security: [],
        body: firstAdminBody,
        response: { 201: z.object({ user: publicUser, csrf_token: z.string() }), 400: errorResponse, 403: errorResponse, 409: errorResponse, 429: errorResponse },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const grant = await grantOf(deps, req, b.setup_code);
      await requireSetupGrant(deps, grant);
      const name = usernameSchema.safeParse(b.username);
      if (!name.success) throw new BadRequest(`username: ${name.error.issues[0]?.message ?? 'invalid'}`, 'USERNAME_INVALID');
      const problem = passwordProblem(b.password, name.data);
      if (problem) throw new BadRequest(`password ${problem}`, 'PASSWORD_WEAK');
      const passwordHash = await hashPassword(b.password);
      const user = await db.kysely.transaction().execute(async (tx) => {
        if (!(await consumeSetupCode(deps, tx, grant))) throw new SetupCodeRequired();
        if (await findUserByUsername(tx, name.data)) throw new Conflict('USERNAME_TAKEN', `The username ${name.data} is taken`);
        return insertUser(tx, { username: name.data, email: b.email ?? null, name: b.name ?? null, password_hash: passwordHash, is_admin: true });
      });
      clearGrantCookie(reply, deps.secureCookies);
      const { csrfToken } = await issueSession({ db, box: deps.box, sessionDays: deps.sessionDays, secure: deps.secureCookies }, req, reply, user.id, 'password');
      req.log.info({ userId: user.id }, 'first administrator created with the setup code');
      reply.code(201);
      return { user: presentUser(user), csrf_token: csrfToken };
    },
  );
}
