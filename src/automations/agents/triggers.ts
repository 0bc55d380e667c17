/**
 * What starts and stops the agents on an issue: the project's label, an assignment to a login the
 * project names, or a `/switchyard` comment (`/switchyard stop` cancels). Anyone may label or
 * comment on a public repository, so the person who did it must have write access, checked with
 * GitHub's API; bots (Switchyard's own comments included) are ignored.
 */
import type { EventContext } from '../registry.js';
import { arr, num, objAt, str } from '../../github/index.js';
import type { GitHubClients } from '../../github/index.js';
import { hasWriteAccess, repoRef } from './github-effects.js';
import { refreshStatusComment, type PipelineDeps } from './pipeline.js';
import * as repo from './repo.js';
import { cancelConversation, startConversation, type ServiceDeps } from './service.js';

export const AGENT_EVENTS = ['issues.labeled', 'issues.assigned', 'issue_comment.created'];

type Decision = { kind: 'start'; trigger: 'label' | 'assignment' | 'comment' } | { kind: 'stop' } | null;

/** Reads the event: does it ask to start or stop the agents on this project's issue? */
export function decide(ctx: Pick<EventContext, 'name' | 'action' | 'payload'>, project: { triggerLabel: string; assigneeLogins: string[] }): Decision {
  const p = ctx.payload;
  if (ctx.name === 'issues' && ctx.action === 'labeled') {
    return str(objAt(p, 'label')?.name)?.toLowerCase() === project.triggerLabel.toLowerCase() ? { kind: 'start', trigger: 'label' } : null;
  }
  if (ctx.name === 'issues' && ctx.action === 'assigned') {
    const login = str(objAt(p, 'assignee')?.login)?.toLowerCase();
    return login && project.assigneeLogins.some((l) => l.toLowerCase() === login) ? { kind: 'start', trigger: 'assignment' } : null;
  }
  if (ctx.name === 'issue_comment' && ctx.action === 'created') {
    const body = (str(objAt(p, 'comment')?.body) ?? '').trim();
    const m = /^\/switchyard(?:\s+(\S+))?/i.exec(body);
    if (!m) return null;
    return m[1]?.toLowerCase() === 'stop' ? { kind: 'stop' } : { kind: 'start', trigger: 'comment' };
  }
  return null;
}

export function agentEventHandler(deps: ServiceDeps & { clients: () => GitHubClients; pipeline: PipelineDeps }) {
  return async (ctx: EventContext): Promise<void> => {
    if (!ctx.repositoryId || ctx.installationId === null) return;
    const project = await repo.findProjectByRepository(deps.db.kysely, ctx.repositoryId);
    if (!project?.enabled) return;
    const issue = objAt(ctx.payload, 'issue');
    const number = num(issue?.number);
    // Pull requests are issues too; the agents work on issues only.
    if (!issue || number === null || issue.pull_request) return;
    const decision = decide(ctx, project);
    if (!decision) return;
    const sender = objAt(ctx.payload, 'sender');
    const login = str(sender?.login);
    if (!login || sender?.type === 'Bot') return;
    if (!deps.clients().configured) return;
    const gh = deps.clients().installation(ctx.installationId);
    if (!(await hasWriteAccess(gh, repoRef(project.fullName), login))) {
      ctx.log.info({ login, issue: number }, 'agents trigger ignored: the sender has no write access');
      return;
    }
    if (decision.kind === 'stop') {
      const c = await repo.findConversationByIssue(deps.db.kysely, project.repositoryId, number);
      if (!c || c.status === 'cancelled' || c.status === 'completed') return;
      await cancelConversation(deps, c.id, `@${login}`);
      await refreshStatusComment(deps.pipeline, c.id).catch((err: unknown) => ctx.log.warn({ err }, 'could not update the status comment'));
      return;
    }
    const labels = arr(issue.labels).length;
    ctx.log.debug({ labels }, 'agents trigger accepted');
    await startConversation(deps, { project, issueNumber: number, title: str(issue.title) ?? `#${number}`, body: str(issue.body), triggeredBy: login, trigger: decision.trigger });
  };
}
