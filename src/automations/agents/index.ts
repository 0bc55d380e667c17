/**
 * LLM agents on GitHub issues: a labelled (or assigned, or `/switchyard`-commented) issue becomes
 * a plan, a design note, commits on `switchyard/issue-<n>`, a draft pull request, test rounds and a
 * review, every step a message in the issue's conversation with its tokens and cost. The slice's
 * public surface; see README.md.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/index.js';
import type { Database } from '../../db/index.js';
import { nowIso } from '../../db/index.js';
import type { GitHubClients } from '../../github/index.js';
import type { Queue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import type { LlmClient } from '../../llm/contract.js';
import type { AutomationRegistry } from '../registry.js';
import { repoRef } from './github-effects.js';
import { runStep, STEP_JOB, type PipelineDeps, type StepPayload } from './pipeline.js';
import { findProjectByRepository, purgeExpiredMemory } from './repo.js';
import { AppError } from '../../http/app-error.js';
import { findRepositoryId } from '../../state/index.js';
import { ProjectNotFound } from './errors.js';
import { agentsRoutes } from './routes.js';
import { startConversation, wakeBudgetWaits, type ServiceDeps } from './service.js';
import { AGENT_EVENTS, agentEventHandler } from './triggers.js';
import './tables.js';

export { startConversation, cancelConversation, retryTask, resumeTask, cancelTask, wakeBudgetWaits } from './service.js';
export { runSandboxed, describeSandbox, findBwrap } from './sandbox.js';
export { scanText, redact } from './secret-scan.js';
export { formatUsd } from './status-comment.js';
export * as agentsRepo from './repo.js';
export { STEP_JOB } from './pipeline.js';
export type { AgentRole, TaskStatus, WaitingOn } from './tables.js';

export const WAKE_BUDGET_JOB = 'agents.wake_budget_waits';
export const PURGE_MEMORY_JOB = 'agents.purge_memory';

export interface AgentsSliceDeps {
  config: Config;
  db: Database;
  queue: Queue;
  registry: AutomationRegistry;
  clients: () => GitHubClients;
  log: Logger;
  /** The LLM layer's client (src/llm); without one, tasks wait on a human. */
  llm: LlmClient | null;
}

export interface AgentsSlice {
  routes(app: FastifyInstance): Promise<void>;
  service: ServiceDeps;
  /** Starts the agents on an issue now (the CLI's `agents run`), reading it from GitHub. */
  startOnIssue(fullName: string, issueNumber: number, by: string, trigger?: 'api' | 'cli'): Promise<{ conversationId: string; created: boolean }>;
}

/** Secrets Switchyard itself holds: never published by an agent, whatever their shape. */
function knownSecrets(config: Config): string[] {
  return [config.webhookSecret, config.apiToken, config.secretKey, config.github.privateKey, config.github.clientSecret, ...config.previousSecretKeys].filter((s): s is string => typeof s === 'string' && s.length >= 8);
}

function hostOf(u: string): string | null {
  try {
    return new URL(u).hostname.toLowerCase();
  } catch {
    return null;
  }
}

export function createAgentsSlice(deps: AgentsSliceDeps): AgentsSlice {
  const { db, queue, config } = deps;
  const log = deps.log.child({ slice: 'agents' });
  const scan = { known: knownSecrets(config), allowedHosts: [hostOf(config.github.url), hostOf(config.github.apiUrl)].filter((h): h is string => !!h) };
  const pipeline: PipelineDeps = { db, queue, log, config, clients: deps.clients, llm: deps.llm, scan, statusChains: new Map(), inFlight: new Map() };
  const service: ServiceDeps = { db, queue, log, pipeline };

  queue.register<StepPayload>(STEP_JOB, (p, ctx) => runStep(pipeline, p, ctx.log.child({ slice: 'agents' })), { concurrency: 4 });
  // A raised limit lets waiting tasks go on: the guard decides again once a minute.
  queue.register(WAKE_BUDGET_JOB, async (_p, ctx) => {
    const n = await wakeBudgetWaits(service);
    if (n > 0) ctx.log.info({ tasks: n }, 'tasks waiting on a budget try again');
  });
  queue.schedule(WAKE_BUDGET_JOB, '* * * * *');
  queue.register(PURGE_MEMORY_JOB, async (_p, ctx) => {
    const n = await purgeExpiredMemory(db.kysely, nowIso());
    if (n > 0) ctx.log.info({ facts: n }, 'expired agent memory purged');
  });
  queue.schedule(PURGE_MEMORY_JOB, '23 4 * * *');

  deps.registry.on('agents', AGENT_EVENTS, agentEventHandler({ ...service, clients: deps.clients, pipeline }));

  const fetchIssue = async (installationId: number, fullName: string, number: number) => {
    const { data } = await deps.clients().installation(installationId).request('GET /repos/{owner}/{repo}/issues/{issue_number}', { ...repoRef(fullName), issue_number: number });
    const d = data as { title: string; body?: string | null; pull_request?: unknown };
    return { title: d.title, body: d.body ?? null, isPullRequest: !!d.pull_request };
  };

  const startOnIssue: AgentsSlice['startOnIssue'] = async (fullName, issueNumber, by, trigger = 'cli') => {
    const repositoryId = await findRepositoryId(db, fullName, { all: true });
    if (!repositoryId) throw new AppError('REPOSITORY_NOT_FOUND', 404, `Switchyard does not know ${fullName} (is the App installed on it?)`);
    const project = await findProjectByRepository(db.kysely, repositoryId);
    if (!project) throw new ProjectNotFound(`for ${fullName}`);
    if (project.installationId === null) throw new AppError('NO_INSTALLATION', 400, `${fullName} has no installation`);
    const issue = await fetchIssue(project.installationId, project.fullName, issueNumber);
    if (issue.isPullRequest) throw new AppError('NOT_AN_ISSUE', 400, `#${issueNumber} is a pull request`);
    return startConversation(service, { project, issueNumber, title: issue.title, body: issue.body, triggeredBy: by, trigger });
  };

  return {
    service,
    startOnIssue,
    routes: (app) => agentsRoutes(app, { ...service, pipeline, fetchIssue }),
  };
}
