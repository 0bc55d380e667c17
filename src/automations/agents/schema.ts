/**
 * What a project and its agents are configured with (zod: validated at the API and when read
 * back), and the orchestrator's and reviewer's structured outputs.
 */
import { z } from 'zod';

export const ROLES = ['orchestrator', 'architect', 'coder', 'tester', 'reviewer'] as const;
export const roleSchema = z.enum(ROLES);

export const modelConfigSchema = z.object({
  provider: z.string().min(1).max(200),
  model: z.string().min(1).max(200),
  temperature: z.number().min(0).max(2).default(0.2),
  max_tokens: z.number().int().min(1).max(200_000).default(4096),
  max_turns: z.number().int().min(1).max(100).default(20),
});
export type ModelConfig = z.infer<typeof modelConfigSchema>;

/** Shell lines the project declares; agents run nothing else. */
export const commandsSchema = z.object({
  install: z.string().max(500).optional(),
  test: z.string().max(500).optional(),
  lint: z.string().max(500).optional(),
});
export type ProjectCommands = z.infer<typeof commandsSchema>;

export const limitsSchema = z.object({
  max_running_tasks: z.number().int().min(1).max(50).default(2),
  task_minutes: z.number().int().min(1).max(24 * 60).default(60),
  task_budget_usd: z.number().min(0).max(10_000).default(5),
  test_rounds: z.number().int().min(0).max(10).default(3),
  review_rounds: z.number().int().min(0).max(10).default(2),
});
export type ProjectLimits = z.infer<typeof limitsSchema>;

/** Tasks running at once across every project. */
export const GLOBAL_RUNNING_TASKS = 4;

export const planSchema = z.object({
  summary: z.string().max(4000),
  tasks: z
    .array(
      z.object({
        title: z.string().min(1).max(200),
        agent_type: z.enum(['architect', 'coder', 'tester', 'reviewer']),
        priority: z.number().int().min(1).max(5),
        definition_of_done: z.array(z.string().min(1).max(500)).min(1).max(10),
      }),
    )
    .min(1)
    .max(5),
});
export type Plan = z.infer<typeof planSchema>;

export const reviewSchema = z.object({
  summary: z.string().max(4000),
  items: z.array(z.object({ done_item: z.string().max(500), met: z.boolean(), comment: z.string().max(2000) })).max(20),
  changes_requested: z.boolean(),
});
export type ReviewVerdict = z.infer<typeof reviewSchema>;
