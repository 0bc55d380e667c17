/** Request and response schemas of the pets API (zod; they also make the OpenAPI document). */
import { z } from 'zod';
import { cursorSchema, limitSchema } from '../../http/paging.js';

export const entityType = z.enum(['robot', 'plant', 'pet', 'golem', 'blob']);
export const band = z.enum(['thriving', 'healthy', 'okay', 'poor', 'dying']);
export const lifeState = z.enum(['alive', 'dying', 'dead']);

export const repoParams = z.object({
  owner: z.string().min(1).max(100),
  name: z.string().min(1).max(100),
});
export const shaParams = repoParams.extend({ sha: z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a commit sha (7 to 64 hex digits)') });

export const listQuery = z.object({ cursor: cursorSchema, limit: limitSchema, state: lifeState.optional().describe('Only pets in this life state') });
export const historyQuery = z.object({
  since: z.iso.datetime({ offset: true }).optional().describe('Only changes at or after this time (ISO 8601)'),
  cursor: cursorSchema,
  limit: z.coerce.number().int().min(1).max(1000).default(500).describe('Page size (1–1000, default 500)'),
});
export const pageQuery = z.object({ cursor: cursorSchema, limit: limitSchema });

const componentScore = z.object({ points: z.number(), reason: z.string() });
const finding = z.object({ component: z.string(), rule: z.string(), file: z.string(), line: z.number().nullable(), message: z.string(), preview: z.string().optional() });

export const sparkPoint = z.object({ at: z.string(), health: z.number() });

export const petItem = z.object({
  id: z.string(),
  repository: z.string().describe('owner/name on GitHub now'),
  github_repository_id: z.number(),
  installation_id: z.number().nullable(),
  is_private: z.boolean(),
  is_archived: z.boolean(),
  repository_deleted: z.boolean(),
  name: z.string().describe('The pet’s name (generated, renamable)'),
  entity_type: entityType,
  type_overridden: z.boolean().describe('false: the type follows the repository’s language'),
  language: z.string().nullable(),
  health: z.number().int(),
  band,
  life_state: lifeState,
  generation: z.number().int(),
  born_at: z.string(),
  zero_since: z.string().nullable(),
  death_date: z.string().nullable(),
  death_cause: z.string().nullable(),
  last_commit_at: z.string().nullable(),
  branch: z.string().describe('The analysed branch'),
  branch_setting: z.string().nullable().describe('null: the repository’s default branch'),
  decay_per_day: z.number().int(),
  decay_setting: z.number().int().nullable().describe('null: PETS_DECAY_PER_DAY'),
  sync: z.object({
    status: z.enum(['idle', 'pending', 'syncing', 'failed']),
    error: z.string().nullable(),
    failures: z.number().int(),
    next_attempt_at: z.string().nullable(),
    last_synced_at: z.string().nullable(),
    head_sha: z.string().nullable(),
  }),
  backfill: z.object({
    status: z.enum(['pending', 'running', 'done', 'failed', 'empty']),
    done: z.number().int(),
    total: z.number().int().nullable(),
    error: z.string().nullable(),
    started_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  }),
  badge: z.object({
    secret_url: z.boolean().describe('A private repository’s images are served at a secret URL'),
    image_url: z.string().nullable().describe('The creature (null: a private repository without a secret URL)'),
    badge_url: z.string().nullable(),
    markdown: z.string().nullable().describe('For a README'),
  }),
  sparkline: z.array(sparkPoint).optional().describe('Health over the last 30 days (lists only)'),
  created_at: z.string(),
  updated_at: z.string(),
});
export type PetItem = z.infer<typeof petItem>;

export const historyItem = z.object({
  id: z.string(),
  kind: z.enum(['commit_analysis', 'daily_decay', 'manual_reset', 'death', 'revive']),
  health_before: z.number().int(),
  health_after: z.number().int(),
  delta: z.number().int(),
  life_state: lifeState,
  generation: z.number().int(),
  sha: z.string().nullable(),
  decay_day: z.string().nullable(),
  reason: z.string(),
  occurred_at: z.string(),
});

export const commitItem = z.object({
  sha: z.string(),
  parents: z.array(z.string()),
  is_merge: z.boolean(),
  author_name: z.string(),
  author_email: z.string(),
  authored_at: z.string(),
  committed_at: z.string(),
  subject: z.string(),
  files_changed: z.number().int(),
  additions: z.number().int(),
  deletions: z.number().int(),
  overall_quality_score: z.number(),
  health_delta: z.number().int().describe('What the analyser gave: the components’ points, clamped to −20..+20'),
  applied_delta: z.number().int().describe('What it moved the pet’s health by'),
  applied: z.enum(['applied', 'too_old', 'dead', 'merge']).describe('applied; too_old (older than the health window); dead (the pet was dead); merge (merges move nothing)'),
  orphaned: z.boolean().describe('The commit left the branch (force push)'),
  source: z.enum(['push', 'backfill', 'reanalyze']),
  analyzer_version: z.string(),
  breakdown: z.record(z.string(), componentScore),
  analyzed_at: z.string(),
});

export const commitDetail = commitItem.extend({
  findings: z.array(finding),
  notes: z.array(z.string()),
  components_sum: z.number().int().describe('The sum of the components’ points (health_delta is this, clamped)'),
});

export const patchBody = z
  .object({
    name: z.string().trim().min(1).max(60),
    entity_type: entityType.nullable().describe('null: follow the repository’s language again'),
    branch: z.string().trim().min(1).max(250).regex(/^(?!\/|.*\/\/|.*\.\.|.*\.lock$)[^\s~^:?*[\\]+$/, 'must be a branch name').nullable().describe('null: the default branch'),
    decay_per_day: z.number().int().min(0).max(100).nullable().describe('0: no decay; null: PETS_DECAY_PER_DAY'),
    secret_url: z.enum(['enable', 'rotate', 'disable']).describe('A private repository’s images at a secret URL: enable (keeps an existing one), rotate (a new one), disable'),
    health: z.number().int().min(0).max(100).describe('Set health by hand (administrators; a manual_reset history row)'),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change');
export type PatchBody = z.infer<typeof patchBody>;

export const reanalyzeBody = z
  .object({ history: z.boolean().default(false).describe('Also analyse the whole history again (a new backfill; health is not moved twice)') })
  .default({ history: false });

export const accepted = z.object({ status: z.literal('accepted'), message: z.string() });
