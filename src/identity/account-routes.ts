/**
 * Sign-in and the signed-in person's own account: `POST /api/auth/login`, `POST /api/auth/logout`,
 * `GET /api/me`, sessions, two-factor enrollment, personal API tokens, password change.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/index.js';
import { toBool } from '../db/index.js';
import { authOf, userOf } from '../http/auth-context.js';
import { errorResponse } from '../http/error-handler.js';
import { createApiToken, listApiTokens, revokeApiToken } from './api-tokens.js';
import { BadRequest, Conflict, InvalidCredentials, NotFound } from './errors.js';
import { hashPassword, passwordProblem, verifyPassword } from './passwords.js';
import { newRecoveryCodes } from './random-tokens.js';
import {
  changePasswordBody,
  createTokenBody,
  disable2faBody,
  idParams,
  loginBody,
  meResponse,
  publicUser,
  sessionItem,
  tokenItem,
  totpCodeBody,
} from './schema.js';
import type { SecretBox } from './secret-box.js';
import { clearSessionCookies, issueSession } from './session-cookie.js';
import { listSessions, revokeAllSessions, revokeSession } from './sessions.js';
import { checkSecondFactor, recoveryCodeHash, TOTP_COLUMN, TOTP_PENDING_COLUMN, verifySignIn } from './sign-in.js';
import { checkTotp, newTotpSecret, totpQrDataUrl, totpUri } from './totp.js';
import { hit, TOTP_PER_ACCOUNT } from './rate-limit.js';
import { getUser, presentUser, remainingRecoveryCodes, replaceRecoveryCodes, updateUser } from './users-repo.js';

export interface AccountRoutesDeps {
  db: Database;
  box: SecretBox;
  sessionDays: number;
  secureCookies: boolean;
}

const ok = z.object({ ok: z.literal(true) });

export async function accountRoutes(app: FastifyInstance, deps: AccountRoutesDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { db, box } = deps;
  const cookieDeps = { db, box, sessionDays: deps.sessionDays, secure: deps.secureCookies };

  const me = async (userId: string) => {
    const user = await getUser(db.kysely, userId);
    if (!user) throw new NotFound('User');
    return user;
  };

  r.post(
    '/api/auth/login',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with a local account (and its two-factor code); sets the session cookie',
        security: [],
        body: loginBody,
        response: { 200: z.object({ user: publicUser, csrf_token: z.string() }), 401: errorResponse, 429: errorResponse },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const { user, method } = await verifySignIn({ db, box }, {
        username: b.username,
        password: b.password,
        totpCode: b.totp_code,
        recoveryCode: b.recovery_code,
        ip: req.ip,
      });
      const { csrfToken } = await issueSession(cookieDeps, req, reply, user.id, method);
      req.log.info({ userId: user.id, method }, 'signed in');
      return { user: presentUser(user), csrf_token: csrfToken };
    },
  );

  r.post(
    '/api/auth/logout',
    { config: { auth: 'optional' }, schema: { tags: ['auth'], summary: 'Sign out: ends this session and clears its cookies (answers 200 without one too)', security: [], response: { 200: ok } } },
    async (req, reply) => {
      const viewer = req.auth?.viewer;
      if (viewer?.kind === 'user' && viewer.sessionId) await revokeSession(db, viewer.userId, viewer.sessionId);
      clearSessionCookies(reply, deps.secureCookies);
      return { ok: true as const };
    },
  );

  r.get('/api/me', { schema: { tags: ['auth'], summary: 'Who am I: the viewer, its CSRF token and what it may see', response: { 200: meResponse } } }, async (req) => {
    const { viewer, scope } = authOf(req);
    if (viewer.kind === 'operator') {
      return { kind: 'operator' as const, is_admin: true, user: null, via: 'operator_token' as const, csrf_token: null, installation_ids: null, recovery_codes_left: null };
    }
    const user = await me(viewer.userId);
    return {
      kind: 'user' as const,
      is_admin: viewer.isAdmin,
      user: presentUser(user),
      via: viewer.via,
      csrf_token: viewer.csrfToken,
      installation_ids: scope.all ? null : scope.installationIds,
      recovery_codes_left: toBool(user.is_2fa_enabled) ? await remainingRecoveryCodes(db.kysely, user.id) : null,
    };
  });

  r.get('/api/me/sessions', { schema: { tags: ['account'], summary: 'My live sessions', response: { 200: z.object({ items: z.array(sessionItem) }) } } }, async (req) => {
    const viewer = userOf(req);
    const rows = await listSessions(db, viewer.userId);
    return {
      items: rows.map((s) => ({
        id: s.id,
        method: s.method,
        user_agent: s.user_agent,
        ip: s.ip,
        created_at: s.created_at,
        last_seen_at: s.last_seen_at,
        expires_at: s.expires_at,
        current: s.id === viewer.sessionId,
      })),
    };
  });

  r.delete(
    '/api/me/sessions/:id',
    { schema: { tags: ['account'], summary: 'Revoke one of my sessions', params: idParams, response: { 200: ok, 404: errorResponse } } },
    async (req, reply) => {
      const viewer = userOf(req);
      if (!(await revokeSession(db, viewer.userId, req.params.id))) throw new NotFound('Session');
      if (req.params.id === viewer.sessionId) clearSessionCookies(reply, deps.secureCookies);
      return { ok: true as const };
    },
  );

  r.post(
    '/api/me/password',
    { schema: { tags: ['account'], summary: 'Change (or set) my password; signs out my other sessions', body: changePasswordBody, response: { 200: ok, 400: errorResponse, 401: errorResponse } } },
    async (req) => {
      const viewer = userOf(req);
      const user = await me(viewer.userId);
      if (user.password_hash) {
        if (!req.body.current_password || !(await verifyPassword(user.password_hash, req.body.current_password))) throw new InvalidCredentials();
      }
      const problem = passwordProblem(req.body.new_password, user.username);
      if (problem) throw new BadRequest(`new_password ${problem}`, 'PASSWORD_WEAK');
      await updateUser(db.kysely, user.id, { password_hash: await hashPassword(req.body.new_password) });
      await revokeAllSessions(db, user.id, viewer.sessionId ?? undefined);
      return { ok: true as const };
    },
  );

  r.post(
    '/api/me/2fa/enroll',
    {
      schema: {
        tags: ['account'],
        summary: 'Start two-factor enrollment: a new TOTP secret, its otpauth:// URI and QR code (confirm with a first code)',
        response: { 200: z.object({ secret: z.string(), otpauth_uri: z.string(), qr_code: z.string().describe('data: URL of an SVG image') }), 409: errorResponse },
      },
    },
    async (req) => {
      const viewer = userOf(req);
      const user = await me(viewer.userId);
      if (toBool(user.is_2fa_enabled)) throw new Conflict('TWO_FACTOR_ENABLED', 'Two-factor authentication is already on; turn it off first to enroll a new device');
      const secret = newTotpSecret();
      await updateUser(db.kysely, user.id, { totp_pending_secret: box.seal(secret, TOTP_PENDING_COLUMN) });
      const uri = totpUri(secret, user.username);
      return { secret, otpauth_uri: uri, qr_code: await totpQrDataUrl(uri) };
    },
  );

  r.post(
    '/api/me/2fa/confirm',
    {
      schema: {
        tags: ['account'],
        summary: 'Confirm enrollment with a first code: turns two-factor on and returns ten single-use recovery codes (shown once)',
        body: totpCodeBody,
        response: { 200: z.object({ recovery_codes: z.array(z.string()) }), 400: errorResponse, 401: errorResponse, 409: errorResponse, 429: errorResponse },
      },
    },
    async (req) => {
      const viewer = userOf(req);
      const user = await me(viewer.userId);
      if (toBool(user.is_2fa_enabled)) throw new Conflict('TWO_FACTOR_ENABLED', 'Two-factor authentication is already on');
      if (!user.totp_pending_secret) throw new BadRequest('Start with POST /api/me/2fa/enroll', 'TWO_FACTOR_NOT_ENROLLING');
      await hit(db, `2fa:user:${user.id}`, TOTP_PER_ACCOUNT);
      const secret = box.open(user.totp_pending_secret, TOTP_PENDING_COLUMN);
      const step = checkTotp(secret, req.body.code, null);
      if (step === null) throw new BadRequest('The code does not match: check the device clock and try the current code', 'TWO_FACTOR_INVALID');
      const codes = newRecoveryCodes();
      const hashes = await Promise.all(codes.map((c) => recoveryCodeHash(c)));
      await db.kysely.transaction().execute(async (tx) => {
        await updateUser(tx, user.id, {
          totp_secret: box.seal(secret, TOTP_COLUMN),
          totp_pending_secret: null,
          totp_last_step: step,
          totp_failures: 0,
          totp_locked_until: null,
          is_2fa_enabled: true,
        });
        await replaceRecoveryCodes(tx, user.id, hashes);
      });
      req.log.info({ userId: user.id }, 'two-factor enabled');
      return { recovery_codes: codes };
    },
  );

  r.post(
    '/api/me/2fa/recovery-codes',
    {
      schema: {
        tags: ['account'],
        summary: 'Replace my recovery codes (needs a current code); the old ones stop working',
        body: totpCodeBody,
        response: { 200: z.object({ recovery_codes: z.array(z.string()) }), 401: errorResponse, 409: errorResponse, 429: errorResponse },
      },
    },
    async (req) => {
      const viewer = userOf(req);
      const user = await me(viewer.userId);
      if (!toBool(user.is_2fa_enabled)) throw new Conflict('TWO_FACTOR_DISABLED', 'Two-factor authentication is off');
      await checkSecondFactor({ db, box }, user, { totpCode: req.body.code });
      const codes = newRecoveryCodes();
      await replaceRecoveryCodes(db.kysely, user.id, await Promise.all(codes.map((c) => recoveryCodeHash(c))));
      return { recovery_codes: codes };
    },
  );

  r.delete(
    '/api/me/2fa',
    {
      schema: {
        tags: ['account'],
        summary: 'Turn two-factor off (needs a current code or a recovery code)',
        body: disable2faBody,
        response: { 200: ok, 401: errorResponse, 409: errorResponse, 429: errorResponse },
      },
    },
    async (req) => {
      const viewer = userOf(req);
      const user = await me(viewer.userId);
      if (!toBool(user.is_2fa_enabled)) throw new Conflict('TWO_FACTOR_DISABLED', 'Two-factor authentication is off');
      await checkSecondFactor({ db, box }, user, { totpCode: req.body.code, recoveryCode: req.body.recovery_code });
      await db.kysely.transaction().execute(async (tx) => {
        await updateUser(tx, user.id, { is_2fa_enabled: false, totp_secret: null, totp_pending_secret: null, totp_last_step: null, totp_failures: 0 });
        await replaceRecoveryCodes(tx, user.id, []);
      });
      return { ok: true as const };
    },
  );

  r.get('/api/me/tokens', { schema: { tags: ['account'], summary: 'My personal API tokens (never their values)', response: { 200: z.object({ items: z.array(tokenItem) }) } } }, async (req) => {
    const viewer = userOf(req);
    const rows = await listApiTokens(db, viewer.userId);
    return { items: rows.map((t) => ({ id: t.id, name: t.name, token_hint: t.token_hint, created_at: t.created_at, last_used_at: t.last_used_at, expires_at: t.expires_at })) };
  });

  r.post(
    '/api/me/tokens',
    {
      schema: {
        tags: ['account'],
        summary: 'Create a personal API token; its value is in this answer only',
        body: createTokenBody,
        response: { 201: tokenItem.extend({ token: z.string() }) },
      },
    },
    async (req, reply) => {
      const viewer = userOf(req);
      const days = req.body.expires_in_days;
      const { token, row } = await createApiToken(db, {
        userId: viewer.userId,
        name: req.body.name,
        expiresAt: days ? new Date(Date.now() + days * 86_400_000).toISOString() : null,
      });
      reply.code(201);
      return { id: row.id, name: row.name, token_hint: row.token_hint, created_at: row.created_at, last_used_at: null, expires_at: row.expires_at, token };
    },
  );

  r.delete(
    '/api/me/tokens/:id',
    { schema: { tags: ['account'], summary: 'Revoke one of my API tokens', params: idParams, response: { 200: ok, 404: errorResponse } } },
    async (req) => {
      const viewer = userOf(req);
      if (!(await revokeApiToken(db, viewer.userId, req.params.id))) throw new NotFound('API token');
      return { ok: true as const };
    },
  );
}
