/**
 * Realistic webhook payloads built from the fake's state (the same installation / repository objects
 * its API returns), shaped like GitHub's and valid against the description's `x-webhooks` schemas.
 */
import { createHash } from 'node:crypto';
import { nodeId } from './ids.js';
import type { Json, RepositoryJson } from './representations.js';
import type { FakeGitHub } from './server.js';

const ZERO_SHA = '0'.repeat(40);

function sha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

function shortRepo(r: RepositoryJson): Json {
  return { id: r.id, node_id: r.node_id, name: r.name, full_name: r.full_name, private: r.private };
}

/** The `sender`: the named account, else the installation's account. */
function senderFor(fake: FakeGitHub, installationId: number, login?: string): Json {
  return login ? fake.getAccount(login) : fake.getInstallation(installationId).account;
}

/** An `installation` event (`created`, `deleted`, `suspend`, `unsuspend`, `new_permissions_accepted`). */
export function installationPayload(
  fake: FakeGitHub,
  installationId: number,
  action: 'created' | 'deleted' | 'suspend' | 'unsuspend' | 'new_permissions_accepted' = 'created',
  opts: { sender?: string } = {},
): Json {
  return {
    action,
    installation: fake.getInstallation(installationId),
    repositories: fake.listRepositories(installationId).map(shortRepo),
    requester: null,
    sender: senderFor(fake, installationId, opts.sender),
  };
}

/** An `installation_repositories` event for repositories added to / removed from an installation. */
export function installationRepositoriesPayload(
  fake: FakeGitHub,
  installationId: number,
  action: 'added' | 'removed',
  repositoryIds: number[],
  opts: { sender?: string } = {},
): Json {
  const installation = fake.getInstallation(installationId);
  const repos = repositoryIds.map((id) => shortRepo(fake.getRepository(id)));
  return {
    action,
    installation,
    repository_selection: installation.repository_selection,
    repositories_added: action === 'added' ? repos : [],
    repositories_removed: action === 'removed' ? repos : [],
    requester: null,
    sender: senderFor(fake, installationId, opts.sender),
  };
}

/** Options of `pushPayload`. */
export interface PushOptions {
  /** Defaults to `refs/heads/<default branch>`. */
  ref?: string;
  before?: string;
  after?: string;
  commits?: { message: string; id?: string; added?: string[]; removed?: string[]; modified?: string[] }[];
  /** Login of the pusher / sender; defaults to the installation's account. */
  sender?: string;
}

/** A `push` event to a repository of an installation. */
export function pushPayload(fake: FakeGitHub, installationId: number, repositoryId: number, opts: PushOptions = {}): Json {
  const repo = fake.getRepository(repositoryId);
  const sender = senderFor(fake, installationId, opts.sender);
  const ref = opts.ref ?? `refs/heads/${repo.default_branch}`;
  const commitsIn = opts.commits ?? [{ message: 'Update README.md' }];
  const before = opts.before ?? sha(`${repo.full_name}:${ref}:before:${Date.now()}`);
  const now = new Date();
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, '+00:00');
  const author = { name: String(sender.login), email: `${String(sender.id)}+${String(sender.login)}@users.noreply.github.com`, username: String(sender.login) };
  const commits = commitsIn.map((c, i) => {
    const id = c.id ?? (i === commitsIn.length - 1 && opts.after ? opts.after : sha(`${repo.full_name}:${c.message}:${i}:${now.getTime()}`));
    return {
      id,
      tree_id: sha(`tree:${id}`),
      distinct: true,
      message: c.message,
      timestamp,
      url: `${String(repo.html_url)}/commit/${id}`,
      author,
      committer: author,
      added: c.added ?? [],
      removed: c.removed ?? [],
      modified: c.modified ?? ['README.md'],
    };
  });
  const head = commits[commits.length - 1] ?? null;
  const after = opts.after ?? head?.id ?? ZERO_SHA;
  const createdAt = Math.floor(new Date(String(repo.created_at)).getTime() / 1000);
  const pushedAt = Math.floor(now.getTime() / 1000);
  return {
    ref,
    before,
    after,
    repository: {
      ...repo,
      // Push payloads carry the owner with name/email and the timestamps as Unix seconds.
      owner: { ...repo.owner, name: repo.owner.login, email: null },
      created_at: createdAt,
      pushed_at: pushedAt,
      stargazers: repo.stargazers_count,
      master_branch: repo.default_branch,
      ...(repo.owner.type === 'Organization' ? { organization: repo.owner.login } : {}),
      custom_properties: {},
    },
    pusher: { name: String(sender.login), email: author.email },
    sender,
    installation: { id: installationId, node_id: nodeId('IntegrationInstallation', installationId) },
    created: before === ZERO_SHA,
    deleted: after === ZERO_SHA,
    forced: false,
    base_ref: null,
    compare: `${String(repo.html_url)}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits,
    head_commit: head,
  };
}

/** The `organization` of a webhook for an organization-owned repository (`organization-simple-webhooks`). */
function organizationOf(fake: FakeGitHub, owner: Json): Json | undefined {
  if (owner.type !== 'Organization') return undefined;
  const url = `${fake.apiUrl}/orgs/${String(owner.login)}`;
  return {
    login: owner.login,
    id: owner.id,
    node_id: owner.node_id,
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: owner.avatar_url,
    description: null,
  };
}

/**
 * A `check_run` event (`created`, `completed`, `rerequested`) for a check run of the fake, shaped like
 * GitHub's: the REST check run with its `check_suite` expanded (`simple-check-suite`) and a non-null
 * `details_url` / `started_at` / `external_id`, plus `repository`, `organization` (org-owned),
 * `installation` and `sender` (the workflow run's actor for GitHub Actions, else the installation's account).
 */
export function checkRunPayload(
  fake: FakeGitHub,
  installationId: number,
  checkRunId: number,
  action: 'created' | 'completed' | 'rerequested' = 'completed',
  opts: { sender?: string } = {},
): Json {
  const run = fake.getCheckRun(checkRunId);
  const suiteId = Number((run.check_suite as { id: number }).id);
  const repo = fake.listRepositories(installationId).find((r) => String(run.url).startsWith(`${r.url}/`));
  if (!repo) throw new Error(`check run ${checkRunId} is not in a repository of installation ${installationId}`);
  const job = /\/actions\/runs\/(\d+)\/job\//.exec(String(run.html_url));
  const actor = job ? (fake.getWorkflowRun(Number(job[1])).actor as Json) : undefined;
  const sender = opts.sender ? fake.getAccount(opts.sender) : (actor ?? senderFor(fake, installationId));
  const organization = organizationOf(fake, repo.owner);
  return {
    action,
    check_run: {
      ...run,
      details_url: run.details_url ?? run.html_url,
      external_id: run.external_id ?? '',
      started_at: run.started_at ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      check_suite: fake.getCheckSuite(suiteId),
    },
    repository: repo,
    ...(organization ? { organization } : {}),
    installation: { id: installationId, node_id: nodeId('IntegrationInstallation', installationId) },
    sender,
  };
}

/**
 * An `issues` event (`labeled` with `label`, `assigned` with `assignee`, `opened`, …) for an issue of
 * the fake, sent by `sender` (a person, default the installation's account).
 */
export function issuesPayload(
  fake: FakeGitHub,
  installationId: number,
  repositoryId: number,
  number: number,
  action: 'labeled' | 'assigned' | 'opened' | 'edited',
  opts: { sender?: string; label?: string; assignee?: string } = {},
): Json {
  const repo = fake.getRepository(repositoryId);
  const issue = fake.getIssue(repositoryId, number);
  const organization = organizationOf(fake, repo.owner);
  const label = opts.label ? (issue.labels as Json[]).find((l) => l.name === opts.label) : undefined;
  return {
    action,
    issue,
    ...(action === 'labeled' && label ? { label } : {}),
    ...(action === 'assigned' && opts.assignee ? { assignee: fake.getAccount(opts.assignee) } : {}),
    repository: repo,
    ...(organization ? { organization } : {}),
    installation: { id: installationId, node_id: nodeId('IntegrationInstallation', installationId) },
    sender: senderFor(fake, installationId, opts.sender),
  };
}

/** An `issue_comment.created` event: a person's comment (added to the fake) on an issue. */
export function issueCommentPayload(fake: FakeGitHub, installationId: number, repositoryId: number, number: number, body: string, opts: { sender: string }): Json {
  const repo = fake.getRepository(repositoryId);
  const comment = fake.addComment(repositoryId, number, { body, user: opts.sender });
  const organization = organizationOf(fake, repo.owner);
  return {
    action: 'created',
    issue: fake.getIssue(repositoryId, number),
    comment,
    repository: repo,
    ...(organization ? { organization } : {}),
    installation: { id: installationId, node_id: nodeId('IntegrationInstallation', installationId) },
    sender: fake.getAccount(opts.sender),
  };
}

/** `organization-simple-webhooks`: how organization events embed the organization. */
function organizationSimple(fake: FakeGitHub, login: string): Json {
  const account = fake.getAccount(login);
  const api = String(account.url).replace(/\/users\/[^/]+$/, '');
  const url = `${api}/orgs/${login}`;
  return {
    login,
    id: account.id,
    node_id: account.node_id,
    url,
    repos_url: `${url}/repos`,
    events_url: `${url}/events`,
    hooks_url: `${url}/hooks`,
    issues_url: `${url}/issues`,
    members_url: `${url}/members{/member}`,
    public_members_url: `${url}/public_members{/member}`,
    avatar_url: account.avatar_url,
    description: null,
  };
}

/**
 * An `organization` event for a member added to / removed from the installation's organization
 * (`member_added`, `member_removed`), delivered to the App's installation on that organization.
 */
export function organizationMemberPayload(
  fake: FakeGitHub,
  installationId: number,
  action: 'member_added' | 'member_removed',
  memberLogin: string,
  opts: { sender?: string } = {},
): Json {
  const org = String(fake.getInstallation(installationId).account.login);
  const organization = organizationSimple(fake, org);
  return {
    action,
    membership: {
      url: `${String(organization.url)}/memberships/${memberLogin}`,
      state: 'active',
      role: 'member',
      organization_url: organization.url,
      user: fake.getAccount(memberLogin),
    },
    organization,
    installation: { id: installationId, node_id: nodeId('IntegrationInstallation', installationId) },
    sender: senderFor(fake, installationId, opts.sender),
  };
}

/** A `member` event: a collaborator added to / removed from one of the installation's repositories. */
export function memberPayload(fake: FakeGitHub, installationId: number, repositoryId: number, action: 'added' | 'removed', memberLogin: string, opts: { sender?: string } = {}): Json {
  return {
    action,
    member: fake.getAccount(memberLogin),
    ...(action === 'added' ? { changes: { permission: { to: 'write' } } } : {}),
    repository: fake.getRepository(repositoryId),
    installation: { id: installationId, node_id: nodeId('IntegrationInstallation', installationId) },
    sender: senderFor(fake, installationId, opts.sender),
  };
}

/** A `github_app_authorization.revoked` event: `login` revoked their authorization of the App (only a sender; no installation). */
export function appAuthorizationRevokedPayload(fake: FakeGitHub, login: string): Json {
  return { action: 'revoked', sender: fake.getAccount(login) };
}
