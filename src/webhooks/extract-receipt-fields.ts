/**
 * Reads the fields the event log indexes out of a delivery's payload: action, installation,
 * repository, actor, the ids of the objects it is about, and GitHub's own timestamp.
 */
import { isObj, num, str, toIsoTimestamp, type Obj } from '../payload-readers/index.js';

export interface RepositoryRef {
  githubId: number;
  owner: string;
  name: string;
  fullName: string;
  isPrivate: boolean;
  defaultBranch: string | null;
  htmlUrl: string | null;
}

export interface ReceiptFields {
  action: string | null;
  installationId: number | null;
  repository: RepositoryRef | null;
  actor: string | null;
  targetObjectIds: Record<string, string | number>;
  githubTimestamp: string | null;
}

/** The repository a payload names, if any. */
export function repositoryRef(payload: Obj): RepositoryRef | null {
  const r = payload.repository;
  if (!isObj(r)) return null;
  const githubId = num(r.id);
  const fullName = str(r.full_name);
  if (githubId === null || fullName === null) return null;
  const owner = isObj(r.owner) ? (str(r.owner.login) ?? str(r.owner.name)) : null;
  const slash = fullName.indexOf('/');
  return {
    githubId,
    owner: owner ?? fullName.slice(0, Math.max(0, slash)),
    name: str(r.name) ?? fullName.slice(slash + 1),
    fullName,
    isPrivate: r.private === true,
    defaultBranch: str(r.default_branch) ?? str(r.master_branch),
    htmlUrl: str(r.html_url),
  };
}

/** Object kinds whose id (or number) identifies what an event is about. */
const OBJECT_KINDS = [
  'check_run',
  'check_suite',
  'workflow_run',
  'workflow_job',
  'deployment',
  'deployment_status',
  'release',
  'comment',
  'review',
  'discussion',
  'label',
  'milestone',
  'package',
] as const;

/** Extracts the indexed fields; never throws on unexpected shapes. */
export function extractReceiptFields(eventType: string, payload: Obj): ReceiptFields {
  const ids: Record<string, string | number> = {};
  const pr = isObj(payload.pull_request) ? payload.pull_request : null;
  const issue = isObj(payload.issue) ? payload.issue : null;
  if (pr && num(pr.number) !== null) ids.pull_request = pr.number as number;
  if (issue && num(issue.number) !== null) ids[isObj(issue.pull_request) ? 'pull_request' : 'issue'] = issue.number as number;
  if (num(payload.number) !== null && ids.pull_request === undefined && ids.issue === undefined) ids.number = payload.number as number;
  for (const kind of OBJECT_KINDS) {
    const o = payload[kind];
    if (isObj(o) && num(o.id) !== null) ids[kind] = o.id as number;
  }
  const headSha =
    (pr && isObj(pr.head) ? str(pr.head.sha) : null) ??
    (isObj(payload.check_run) ? str(payload.check_run.head_sha) : null) ??
    (isObj(payload.check_suite) ? str(payload.check_suite.head_sha) : null) ??
    (isObj(payload.workflow_run) ? str(payload.workflow_run.head_sha) : null) ??
    (isObj(payload.workflow_job) ? str(payload.workflow_job.head_sha) : null) ??
    (eventType === 'push' ? str(payload.after) : null);
  if (headSha) ids.head_sha = headSha;
  const ref = str(payload.ref);
  if (ref) ids.ref = ref;

  const installation = isObj(payload.installation) ? num(payload.installation.id) : null;
  const sender = isObj(payload.sender) ? str(payload.sender.login) : null;
  return {
    action: str(payload.action),
    installationId: installation,
    repository: repositoryRef(payload),
    actor: sender ?? (isObj(payload.pusher) ? str(payload.pusher.name) : null),
    targetObjectIds: ids,
    githubTimestamp: githubTimestamp(eventType, payload),
  };
}

/** The time GitHub says the event happened: the subject's own updated/completed time. */
function githubTimestamp(eventType: string, payload: Obj): string | null {
  const pick = (o: unknown, ...keys: string[]) => {
    if (!isObj(o)) return null;
    for (const k of keys) {
      const t = toIsoTimestamp(o[k]);
      if (t) return t;
    }
    return null;
  };
  switch (eventType) {
    case 'push':
      return pick(payload.head_commit, 'timestamp') ?? pick(payload.repository, 'pushed_at');
    case 'check_run':
      return pick(payload.check_run, 'completed_at', 'started_at');
    case 'check_suite':
      return pick(payload.check_suite, 'updated_at', 'created_at');
    case 'workflow_run':
      return pick(payload.workflow_run, 'updated_at', 'created_at');
    case 'workflow_job':
      return pick(payload.workflow_job, 'completed_at', 'started_at', 'created_at');
    case 'installation':
    case 'installation_repositories':
      return pick(payload.installation, 'updated_at', 'created_at');
    default:
      return (
        pick(payload.pull_request, 'updated_at') ??
        pick(payload.issue, 'updated_at') ??
        pick(payload.comment, 'updated_at') ??
        pick(payload.review, 'submitted_at') ??
        pick(payload.release, 'published_at', 'created_at') ??
        pick(payload.repository, 'updated_at')
      );
  }
}
