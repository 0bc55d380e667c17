/** Renders state records as GitHub's JSON (the shapes of GitHub's OpenAPI description). */
import { isoSeconds, nodeId } from './ids.js';
import type { AccountRecord, AppRecord, HookDelivery, InstallationRecord, InstallationTokenRecord, RepositoryRecord } from './state.js';

/** The fake's two bases: web (`http://127.0.0.1:PORT`) and REST API (`…/api/v3`). */
export interface Urls {
  web: string;
  api: string;
}

/** A GitHub JSON object (typed loosely beyond the fields tests commonly read). */
export type Json = Record<string, unknown>;

export interface AccountJson extends Json {
  login: string;
  id: number;
  node_id: string;
  type: string;
}

export interface InstallationJson extends Json {
  id: number;
  app_id: number;
  app_slug: string;
  account: AccountJson;
  repository_selection: string;
  permissions: Record<string, string>;
  events: string[];
}

export interface RepositoryJson extends Json {
  id: number;
  node_id: string;
  name: string;
  full_name: string;
  private: boolean;
  owner: AccountJson;
  default_branch: string;
}

/** `simple-user`: how GitHub embeds an account (user or organization) in other objects. */
export function simpleUser(urls: Urls, a: AccountRecord): AccountJson {
  const u = `${urls.api}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type === 'User' ? 'User' : 'Organization', a.id),
    avatar_url: a.avatarUrl ?? `${urls.web}/avatars/u/${a.id}?v=4`,
    gravatar_id: '',
    url: u,
    html_url: `${urls.web}/${a.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: a.type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** `private-user`: `GET /user` for the token's own user. */
export function privateUser(urls: Urls, a: AccountRecord): Record<string, unknown> {
  const created = isoSeconds(a.createdAt);
  return {
    ...simpleUser(urls, a),
    user_view_type: 'private',
    name: a.name,
    company: null,
    blog: '',
    location: null,
    email: a.email,
    notification_email: a.email,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: created,
    updated_at: created,
    private_gists: 0,
    total_private_repos: 0,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: true,
    plan: { name: 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
  };
}

/** `integration`: `GET /app`. */
export function integration(urls: Urls, app: AppRecord, installationsCount?: number): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: app.nodeId,
    client_id: app.clientId,
    owner: simpleUser(urls, app.owner),
    name: app.name,
    description: app.description,
    external_url: app.externalUrl,
    html_url: `${urls.web}/apps/${app.slug}`,
    created_at: isoSeconds(app.createdAt),
    updated_at: isoSeconds(app.updatedAt),
    permissions: { ...app.permissions },
    events: [...app.events],
    ...(installationsCount === undefined ? {} : { installations_count: installationsCount }),
  };
}

/** `installation`: `GET /app/installations/{id}` (also the `installation` of installation webhooks). */
export function installation(urls: Urls, i: InstallationRecord, app: AppRecord): InstallationJson {
  const login = i.account.login;
  return {
    id: i.id,
    client_id: app.clientId,
    account: simpleUser(urls, i.account),
    repository_selection: i.repositorySelection,
    access_tokens_url: `${urls.api}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: i.account.type === 'Organization' ? `${urls.web}/organizations/${login}/settings/installations/${i.id}` : `${urls.web}/settings/installations/${i.id}`,
    app_id: app.id,
    app_slug: app.slug,
    target_id: i.account.id,
    target_type: i.account.type,
    permissions: { ...i.permissions },
    events: [...i.events],
    created_at: isoSeconds(i.createdAt),
    updated_at: isoSeconds(i.updatedAt),
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: i.suspendedBy ? simpleUser(urls, i.suspendedBy) : null,
    suspended_at: i.suspendedAt === null ? null : isoSeconds(i.suspendedAt),
  };
}

/** `repository`: the full repository object (`GET /installation/repositories` items). */
export function repository(urls: Urls, r: RepositoryRecord): RepositoryJson {
  const fullName = `${r.owner.login}/${r.name}`;
  const u = `${urls.api}/repos/${fullName}`;
  const host = new URL(urls.web).host;
  return {
    id: r.id,
    node_id: nodeId('Repository', r.id),
    name: r.name,
    full_name: fullName,
    private: r.private,
    owner: simpleUser(urls, r.owner),
    html_url: `${urls.web}/${fullName}`,
    description: r.description,
    fork: r.fork,
    url: u,
    forks_url: `${u}/forks`,
    keys_url: `${u}/keys{/key_id}`,
    collaborators_url: `${u}/collaborators{/collaborator}`,
    teams_url: `${u}/teams`,
    hooks_url: `${u}/hooks`,
    issue_events_url: `${u}/issues/events{/number}`,
    events_url: `${u}/events`,
    assignees_url: `${u}/assignees{/user}`,
    branches_url: `${u}/branches{/branch}`,
    tags_url: `${u}/tags`,
    blobs_url: `${u}/git/blobs{/sha}`,
    git_tags_url: `${u}/git/tags{/sha}`,
    git_refs_url: `${u}/git/refs{/sha}`,
    trees_url: `${u}/git/trees{/sha}`,
    statuses_url: `${u}/statuses/{sha}`,
    languages_url: `${u}/languages`,
    stargazers_url: `${u}/stargazers`,
    contributors_url: `${u}/contributors`,
    subscribers_url: `${u}/subscribers`,
    subscription_url: `${u}/subscription`,
    commits_url: `${u}/commits{/sha}`,
    git_commits_url: `${u}/git/commits{/sha}`,
    comments_url: `${u}/comments{/number}`,
    issue_comment_url: `${u}/issues/comments{/number}`,
    contents_url: `${u}/contents/{+path}`,
    compare_url: `${u}/compare/{base}...{head}`,
    merges_url: `${u}/merges`,
    archive_url: `${u}/{archive_format}{/ref}`,
    downloads_url: `${u}/downloads`,
    issues_url: `${u}/issues{/number}`,
    pulls_url: `${u}/pulls{/number}`,
    milestones_url: `${u}/milestones{/number}`,
    notifications_url: `${u}/notifications{?since,all,participating}`,
    labels_url: `${u}/labels{/name}`,
    releases_url: `${u}/releases{/id}`,
    deployments_url: `${u}/deployments`,
    created_at: isoSeconds(r.createdAt),
    updated_at: isoSeconds(r.updatedAt),
    pushed_at: isoSeconds(r.pushedAt),
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `${urls.web}/${fullName}.git`,
    svn_url: `${urls.web}/${fullName}`,
    homepage: r.homepage,
    size: r.size,
    stargazers_count: r.stargazersCount,
    watchers_count: r.stargazersCount,
    language: r.language,
    has_issues: true,
    has_projects: true,
    has_downloads: true,
    has_wiki: true,
    has_pages: false,
    has_discussions: false,
    forks_count: 0,
    mirror_url: null,
    archived: r.archived,
    disabled: r.disabled,
    open_issues_count: r.openIssuesCount,
    license: null,
    allow_forking: true,
    is_template: r.isTemplate,
    web_commit_signoff_required: false,
    topics: [...r.topics],
    visibility: r.private ? 'private' : 'public',
    forks: 0,
    open_issues: r.openIssuesCount,
    watchers: r.stargazersCount,
    default_branch: r.defaultBranch,
    permissions: { admin: false, maintain: false, push: false, triage: false, pull: true },
  };
}

/** `installation-token`: the 201 of `POST /app/installations/{id}/access_tokens`. */
export function installationToken(urls: Urls, t: InstallationTokenRecord, repos: RepositoryRecord[] | null): Record<string, unknown> {
  return {
    token: t.token,
    expires_at: isoSeconds(t.expiresAt),
    permissions: { ...t.permissions },
    repository_selection: t.repositorySelection,
    ...(repos ? { repositories: repos.map((r) => repository(urls, r)) } : {}),
  };
}

/** `hook-delivery-item`: one entry of `GET /app/hook/deliveries`. */
export function hookDeliveryItem(d: HookDelivery): Record<string, unknown> {
  return {
    id: d.id,
    guid: d.guid,
    delivered_at: d.delivered_at,
    redelivery: d.redelivery,
    duration: d.duration,
    status: d.status,
    status_code: d.status_code,
    event: d.event,
    action: d.action,
    installation_id: d.installation_id,
    repository_id: d.repository_id,
    throttled_at: d.throttled_at,
  };
}

/** `hook-delivery`: `GET /app/hook/deliveries/{id}` (a deep copy, so callers cannot mutate the record). */
export function hookDelivery(d: HookDelivery): Record<string, unknown> {
  return structuredClone(d) as unknown as Record<string, unknown>;
}
