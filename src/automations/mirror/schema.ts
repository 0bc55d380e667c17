/** Request and response schemas of the mirror API (zod; they also make the OpenAPI document). */
import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/paging.js';

export const targetKind = z.enum(['onedev', 'gitea', 'gitlab', 'git']).describe('onedev, gitea (also Forgejo), gitlab, or git (any git URL)');
export const syncStatus = z.enum(['pending', 'in_progress', 'completed', 'failed', 'permanent_failure']);

const name = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9][\w.-]*$/, 'letters, digits, _, - and . (starting with a letter or digit)');
const login = z.string().trim().min(1).max(39).regex(/^[A-Za-z0-9-]+$/, 'must be a GitHub login');
const fullName = z.string().trim().min(3).max(200).regex(/^[\w.-]+\/[\w.-]+$/, 'must be owner/name');

export const createTargetBody = z.object({
  name: name.describe('How the target is called in the API, CLI and logs'),
  kind: targetKind,
  base_url: z.string().trim().min(1).max(500).describe('The forge’s address (https://onedev.example.com); for kind git, a URL template with {path} or a base the path is appended to'),
  namespace: z.string().trim().max(200).nullish().describe('OneDev: parent project path (optional); Gitea: organization or user; GitLab: group or user path'),
  username: z.string().trim().max(100).nullish().describe('User name sent with the token over git (default: switchyard; oauth2 on GitLab; git for plain git)'),
  token: z.string().min(1).max(4096).nullish().describe('Access token; stored encrypted and never shown again'),
  visibility: z.enum(['same', 'private']).default('same').describe('same: private repositories stay private, public ones public; private: every copy is private'),
  name_template: z.string().trim().min(1).max(200).default('{name}').describe('The repository’s name on the target: {owner}, {name}, {full_name}'),
  push_backups: z.boolean().default(false).describe('Also push backup refs (refs/switchyard/backup/…) to the target'),
  on_remove: z.enum(['keep', 'archive', 'delete']).default('keep').describe('What happens to a copy whose repository stops being mirrored (un-starred, removed)'),
  max_concurrency: z.number().int().min(1).max(64).nullish().describe('Syncs at once to this target (default MIRROR_TARGET_CONCURRENCY)'),
  enabled: z.boolean().default(true),
});
export type CreateTargetBody = z.infer<typeof createTargetBody>;

export const patchTargetBody = z
  .object({
    name: name,
    base_url: z.string().trim().min(1).max(500),
    namespace: z.string().trim().max(200).nullable(),
    username: z.string().trim().max(100).nullable(),
    token: z.string().min(1).max(4096).nullable().describe('A new token (null removes it)'),
    visibility: z.enum(['same', 'private']),
    name_template: z.string().trim().min(1).max(200),
    push_backups: z.boolean(),
    on_remove: z.enum(['keep', 'archive', 'delete']),
    max_concurrency: z.number().int().min(1).max(64).nullable(),
    enabled: z.boolean(),
  })
  .partial();
export type PatchTargetBody = z.infer<typeof patchTargetBody>;

export const targetItem = z.object({
  id: z.string(),
  name: z.string(),
  kind: targetKind,
  base_url: z.string(),
  namespace: z.string().nullable(),
  username: z.string().nullable(),
  has_token: z.boolean().describe('Whether a token is stored (it is never shown)'),
  visibility: z.enum(['same', 'private']),
  name_template: z.string(),
  push_backups: z.boolean(),
  on_remove: z.enum(['keep', 'archive', 'delete']),
  max_concurrency: z.number().nullable(),
  enabled: z.boolean(),
  last_test_at: z.string().nullable(),
  last_test_ok: z.boolean().nullable(),
  last_test_message: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const connectionTest = z.object({
  ok: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), message: z.string() })),
});

export const createRuleBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('starred'), users: z.array(login).max(500).default([]).describe('Whose stars count; empty = anyone’s') }),
  z.object({ kind: z.literal('installation'), installation_id: z.number().int().positive().describe('Every repository of this installation (GitHub id), including ones added later') }),
  z.object({ kind: z.literal('repositories'), repositories: z.array(fullName).min(1).max(1000) }),
  z.object({ kind: z.literal('pattern'), pattern: z.string().trim().min(1).max(200).regex(/^[\w.*?-]+\/[\w.*?-]+$/, 'must look like owner/name with * and ? wildcards (e.g. acme/*)') }),
]);
export type CreateRuleBody = z.infer<typeof createRuleBody>;

export const ruleItem = z.object({
  id: z.string(),
  target_id: z.string(),
  kind: z.enum(['starred', 'installation', 'repositories', 'pattern']),
  users: z.array(z.string()).nullable(),
  installation_id: z.number().nullable(),
  repositories: z.array(z.string()).nullable(),
  pattern: z.string().nullable(),
  created_at: z.string(),
});

export const mirrorItem = z.object({
  id: z.string(),
  repository: z.string().describe('owner/name on GitHub'),
  repository_deleted: z.boolean(),
  installation_id: z.number().nullable(),
  target: z.object({ id: z.string(), name: z.string(), kind: targetKind }),
  target_path: z.string(),
  target_url: z.string().nullable(),
  is_active: z.boolean(),
  stopped_reason: z.string().nullable(),
  sources: z.array(z.string()),
  sync_status: syncStatus,
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  retry_count: z.number(),
  max_retries: z.number(),
  next_retry_at: z.string().nullable(),
  last_synced_at: z.string().nullable(),
  last_sync_started_at: z.string().nullable(),
  last_duration_ms: z.number().nullable(),
  last_bytes: z.number().nullable(),
  synced_sha: z.string().nullable(),
  behind: z.boolean().describe('GitHub has changes the target does not have yet'),
  lag_seconds: z.number().describe('How long the oldest change not yet on the target has waited'),
  progress: z.object({ step: z.string(), phase: z.string(), percent: z.number() }).nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const logItem = z.object({
  id: z.string(),
  target: z.string(),
  sync_id: z.string().nullable(),
  event: z.string(),
  message: z.string().nullable(),
  duration_ms: z.number().nullable(),
  bytes_transferred: z.number().nullable(),
  error_code: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
  created_at: z.string(),
});

export const statusResponse = z.object({
  totals: z.record(z.string(), z.number()).describe('Active mirrors by sync_status, plus stopped'),
  targets: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      kind: targetKind,
      enabled: z.boolean(),
      counts: z.record(z.string(), z.number()),
      oldest_pending_at: z.string().nullable(),
    }),
  ),
  running: z.number().describe('Syncs holding a lease right now, across every process'),
  cache_bytes: z.number().nullable().describe('Disk used by the mirror cache (administrators only)'),
});

export const repoParams = z.object({
  owner: z.string().min(1).max(100).regex(/^[\w.-]+$/),
  name: z.string().min(1).max(100).regex(/^[\w.-]+$/),
});

export const targetQuery = z.object({ target: z.string().max(100).optional().describe('Only this target (name or id)') });

export const listQuery = z.object({
  target: z.string().max(100).optional().describe('Only this target (name or id)'),
  status: syncStatus.optional(),
  active: z.enum(['true', 'false']).optional().describe('Only active (true) or stopped (false) mirrors'),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const logsQuery = z.object({
  target: z.string().max(100).optional(),
  event: z.string().max(64).optional(),
  limit: limitSchema,
  cursor: cursorSchema,
});

export const idParams = z.object({ id: z.uuid() });

export const accepted = z.object({ mirrors: z.number().describe('Mirrors the request applies to') });
