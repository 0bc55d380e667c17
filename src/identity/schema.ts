/** Request and response schemas of the identity API. */
import { z } from 'zod';
import { PASSWORD_MAX } from './passwords.js';

export const usernameSchema = z
  .string()
  .trim()
  .min(1)
  .max(39)
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'letters, digits, ".", "_" and "-", starting and ending with a letter or digit');

export const loginBody = z.object({
  username: z.string().trim().min(1).max(100),
  password: z.string().min(1).max(PASSWORD_MAX),
  totp_code: z.string().trim().max(20).optional(),
  recovery_code: z.string().trim().max(40).optional(),
});

export const publicUser = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  avatar_url: z.string().nullable(),
  github_id: z.number().nullable(),
  is_admin: z.boolean(),
  is_active: z.boolean(),
  is_2fa_enabled: z.boolean(),
  has_password: z.boolean(),
  last_active_at: z.string().nullable(),
  access_checked_at: z.string().nullable().describe('when the installations this person may see were last confirmed with GitHub (sign-in or the periodic re-check); null for local accounts'),
  created_at: z.string(),
});

export const meResponse = z.object({
  kind: z.enum(['operator', 'user']),
  is_admin: z.boolean(),
  user: publicUser.nullable(),
  via: z.enum(['operator_token', 'session', 'token']),
  csrf_token: z.string().nullable(),
  installation_ids: z.array(z.number()).nullable().describe('installations this viewer may see; null = all'),
  recovery_codes_left: z.number().nullable(),
});

export const sessionItem = z.object({
  id: z.string(),
  method: z.string(),
  user_agent: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: z.string(),
  last_seen_at: z.string(),
  expires_at: z.string(),
  current: z.boolean(),
});

export const tokenItem = z.object({
  id: z.string(),
  name: z.string(),
  token_hint: z.string(),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  expires_at: z.string().nullable(),
});

export const createTokenBody = z.object({
  name: z.string().trim().min(1).max(100),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

export const totpCodeBody = z.object({ code: z.string().trim().min(1).max(20) });
export const disable2faBody = z.object({ code: z.string().trim().max(20).optional(), recovery_code: z.string().trim().max(40).optional() });

export const changePasswordBody = z.object({
  current_password: z.string().max(PASSWORD_MAX).optional(),
  new_password: z.string().max(PASSWORD_MAX),
});

export const createUserBody = z.object({
  username: usernameSchema,
  email: z.email().max(320).optional(),
  name: z.string().trim().max(200).optional(),
  password: z.string().max(PASSWORD_MAX),
  is_admin: z.boolean().optional(),
});

export const patchUserBody = z.object({
  is_admin: z.boolean().optional(),
  is_active: z.boolean().optional(),
  password: z.string().max(PASSWORD_MAX).optional(),
  email: z.email().max(320).nullable().optional(),
  name: z.string().trim().max(200).nullable().optional(),
});

export const idParams = z.object({ id: z.uuid() });
export const userInstallationParams = z.object({ id: z.uuid(), installation_id: z.coerce.number().int().positive() });
