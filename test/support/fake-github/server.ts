/**
 * The fake GitHub: a node:http server on 127.0.0.1 (ephemeral port) serving GitHub's web pages at the
 * root and the REST API under `/api/v3` (as GitHub Enterprise Server does), over in-memory state a
 * test seeds. Every JSON response of the REST API is validated against GitHub's OpenAPI description;
 * a mismatch is recorded in `validationErrors` and turned into a 500 so the caller notices.
 */
import http, { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseAuthorization, rateLimitBucket, type AuthKind } from './auth.js';
import { BlobStorage, type LogDownload } from './blob-storage.js';
import * as ci from './ci-representations.js';
import type {
  AddCheckRunOptions,
  AddPullRequestOptions,
  AddWorkflowRunOptions,
  AnnotationRecord,
  CheckStatus,
  CheckConclusion,
  CompleteRerunOptions,
  RerunRequest,
  StepSpec,
  UpdateCheckRunPatch,
  UpdatePullRequestPatch,
  WorkflowRunIds,
} from './ci-state.js';
import { DOCS_ROOT, etagFor, githubError, htmlPage, HttpError, ifNoneMatchMatches, parseBody, readBody, type FakeResponse } from './http-kit.js';
import { requestId } from './ids.js';
import { pooledKeyCount, prewarmKeys } from './keys.js';
import { operationFor, validateResponse } from './openapi-validator.js';
import * as render from './representations.js';
import type { AccountJson, InstallationJson, RepositoryJson, Urls } from './representations.js';
import { Router, type RouteContext, type Services } from './router.js';
import { registerActionsRoutes } from './routes-actions.js';
import { registerAppRoutes } from './routes-app.js';
import { registerCheckRoutes } from './routes-checks.js';
import { registerInstallationRoutes } from './routes-installation.js';
import { registerIssueCommentRoutes } from './routes-issue-comments.js';
import { registerManifestApiRoutes, registerManifestWebRoutes } from './routes-manifest.js';
import { registerOAuthRoutes } from './routes-oauth.js';
import { registerPullRoutes } from './routes-pulls.js';
import { registerUserRoutes } from './routes-user.js';
import { issueJson, registerAgentRoutes, reviewJson } from './routes-agents.js';
import {
  FakeState,
  type AddInstallationOptions,
  type AddRepositoryOptions,
  type AddUserOptions,
  type AppRecord,
  type CreateAppOptions,
  type FakeApp,
  type HookDelivery,
} from './state.js';
import { checkRunPayload } from './webhook-payloads.js';
import { WebhookDispatcher, type DeliverOptions, type DeliveryOutcome } from './webhook-sender.js';

export const API_PREFIX = '/api/v3';

/** Options of `startFakeGitHub()`. */
export interface StartFakeGitHubOptions {
  /** Default webhook target of apps (createApp / setWebhookTarget can change it). */
  webhookUrl?: string;
  /** Default webhook secret of apps created later. */
  webhookSecret?: string;
  /** Validate REST responses against the OpenAPI description (default true). */
  validate?: boolean;
  /** Requests per hour per authenticated bucket (installation / user / app), default 5000. */
  rateLimit?: number;
  /** Requests per hour for unauthenticated callers, default 60. */
  unauthenticatedRateLimit?: number;
  /** How long a webhook target may take to answer before the delivery is "timed out" (GitHub: 10 s). */
  webhookTimeoutMs?: number;
  /** How long a job-log URL (the `Location` of `GET …/actions/jobs/{id}/logs`) stays valid; default 60 s, as GitHub's. */
  logUrlTtlMs?: number;
}

/** What `fake.completeRerun()` resolves to. */
export interface CompletedRerun {
  runId: number;
  runAttempt: number;
  /** The run's conclusion after the re-run (from the latest execution of each job). */
  conclusion: CheckConclusion | null;
  /** The re-run jobs (new ids; each job's check run has the same id). */
  jobs: { id: number; checkRunId: number; name: string; conclusion: CheckConclusion | null }[];
  /** The `check_run` `completed` deliveries, when `deliver: true`. */
  deliveries: DeliveryOutcome[];
}

/** One entry of `fake.requests`. */
export interface RequestLogEntry {
  method: string;
  /** The request path without the query string (API paths keep their `/api/v3` prefix). */
  path: string;
  /** The query string including `?`, or ''. */
  query: string;
  status: number;
  auth: AuthKind;
  /** The OpenAPI operationId for REST requests (e.g. `apps/create-installation-access-token`). */
  operation?: string;
  /** When the request arrived (epoch ms). */
  at: number;
}

/** An injected failure (see `failNext`). */
export interface FailureSpec {
  status: number;
  headers?: Record<string, string>;
  /** A JSON body (object) or raw text; defaults to GitHub's error for the status. */
  body?: unknown;
}

interface PendingFailure {
  method: string;
  pattern: RegExp;
  spec: FailureSpec;
  remaining: number;
}

interface PendingCorruption {
  pattern: RegExp;
  mutate: (body: unknown) => unknown;
}

interface RateBucket {
  limit: number;
  used: number;
  resetAt: number;
}

const SECONDARY_RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits';
const PRIMARY_RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-primary-rate-limits';

function defaultFailureBody(status: number, docsUrl: string, reqId: string): unknown {
  switch (status) {
    case 403:
    case 429:
      return {
        message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${reqId}.`,
        documentation_url: SECONDARY_RATE_LIMIT_DOCS,
        status: String(status),
      };
    case 401:
      return { message: 'Bad credentials', documentation_url: docsUrl, status: '401' };
    case 422:
      return { message: 'Validation Failed', documentation_url: docsUrl, status: '422' };
    case 500:
    case 502:
      return { message: 'Server Error', documentation_url: docsUrl, status: String(status) };
    default:
      return { message: STATUS_CODES[status] ?? 'Error', documentation_url: docsUrl, status: String(status) };
  }
}

/** The running fake. Create it with `startFakeGitHub()`. */
export class FakeGitHub {
  /** Web base, e.g. `http://127.0.0.1:PORT` (use as GITHUB_URL). */
  readonly url: string;
  /** REST base, `url + '/api/v3'` (use as GITHUB_API_URL). */
  readonly apiUrl: string;
  /** Every request the fake answered, oldest first. */
  readonly requests: RequestLogEntry[] = [];
  /** Responses that did not match GitHub's OpenAPI description (each was replaced by a 500). */
  readonly validationErrors: string[] = [];
  /** Exceptions thrown by the fake's own route code (answered with 500). */
  readonly internalErrors: string[] = [];

  private readonly state = new FakeState();
  private readonly webhooks: WebhookDispatcher;
  private readonly services: Services;
  private readonly apiRouter = new Router();
  private readonly webRouter = new Router();
  private readonly failures: PendingFailure[] = [];
  private readonly corruptions: PendingCorruption[] = [];
  private readonly rateBuckets = new Map<string, RateBucket>();
  private readonly blobs: BlobStorage;

  /** @internal use startFakeGitHub() */
  constructor(
    private readonly server: http.Server,
    port: number,
    private readonly options: StartFakeGitHubOptions,
    private readonly blobServer?: { server: http.Server; port: number },
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.url}${API_PREFIX}`;
    this.state.webhookDefaults = { url: options.webhookUrl ?? null, secret: options.webhookSecret ?? null };
    this.webhooks = new WebhookDispatcher(this.state, options.webhookTimeoutMs ?? 10_000);
    const urls: Urls = { web: this.url, api: this.apiUrl };
    // Job logs are served from a second origin, like GitHub's blob storage (same server without one).
    this.blobs = new BlobStorage(blobServer ? `http://127.0.0.1:${blobServer.port}` : this.url, options.logUrlTtlMs ?? 60_000);
    this.services = { state: this.state, urls, webhooks: this.webhooks, blobs: this.blobs };
    registerAppRoutes(this.apiRouter);
    registerInstallationRoutes(this.apiRouter);
    registerUserRoutes(this.apiRouter);
    registerManifestApiRoutes(this.apiRouter);
    registerPullRoutes(this.apiRouter);
    registerCheckRoutes(this.apiRouter);
    registerActionsRoutes(this.apiRouter);
    registerIssueCommentRoutes(this.apiRouter);
    registerAgentRoutes(this.apiRouter);
    registerOAuthRoutes(this.webRouter);
    registerManifestWebRoutes(this.webRouter);
  }

  // ---- seeding -------------------------------------------------------------------------------

  /** Creates an app with its own RSA key pair; the first app created is the default for other calls. */
  createApp(opts: CreateAppOptions = {}): FakeApp {
    return this.appCredentials(this.state.createApp(opts));
  }

  /** Installs an app (default: the first created) on an account (created as an Organization unless it exists). */
  addInstallation(opts: AddInstallationOptions): InstallationJson {
    const inst = this.state.addInstallation(opts);
    return render.installation(this.services.urls, inst, this.state.requireApp(inst.appId));
  }

  /** Adds a repository to an installation (owner defaults to the installation's account). */
  addRepository(installationId: number, opts: AddRepositoryOptions): RepositoryJson {
    return render.repository(this.services.urls, this.state.addRepository(installationId, opts));
  }

  /** Removes a repository from an installation (its tokens stop seeing it). */
  removeRepository(installationId: number, repoId: number): void {
    this.state.removeRepository(installationId, repoId);
  }

  /** Uninstalls: the installation disappears (404) and its tokens stop working (401). */
  removeInstallation(installationId: number): void {
    this.state.removeInstallation(installationId);
  }

  /** Suspends an installation: new access tokens are refused with GitHub's 403. */
  suspendInstallation(installationId: number, byLogin?: string): void {
    const inst = this.state.requireInstallation(installationId);
    inst.suspendedAt = Date.now();
    inst.suspendedBy = byLogin ? this.state.ensureAccount({ login: byLogin, type: 'User' }) : null;
  }

  /** Lifts a suspension. */
  unsuspendInstallation(installationId: number): void {
    const inst = this.state.requireInstallation(installationId);
    inst.suspendedAt = null;
    inst.suspendedBy = null;
  }

  /** Adds a user account (for the OAuth flow and `GET /user`). */
  addUser(opts: AddUserOptions): { id: number; login: string; email: string | null; name: string | null; avatarUrl: string | null } {
    const u = this.state.addUser(opts);
    return { id: u.id, login: u.login, email: u.email, name: u.name, avatarUrl: u.avatarUrl };
  }

  /** Lets `login` see an installation in `GET /user/installations`. */
  grantInstallation(login: string, installationId: number): void {
    this.state.grantInstallation(login, installationId);
  }

  /** Takes an installation out of `GET /user/installations` for `login` (removed from its organization or repositories). */
  revokeInstallation(login: string, installationId: number): void {
    this.state.revokeInstallation(login, installationId);
  }

  /** `login` revokes their authorization of the app (default: the first created): their user and refresh tokens answer 401 / `bad_refresh_token`. */
  revokeAuthorization(login: string, appId?: number): void {
    this.state.revokeAuthorization(login, appId ?? this.getApp().id);
  }

  /** Expires every user access token now (refresh tokens keep working), as 8 hours passing would. */
  expireUserTokens(): void {
    this.state.expireUserTokens();
  }

  /** The browser's GitHub session: the user the authorize page and the manifest form act as (null = signed out). */
  signInAs(login: string | null): void {
    this.state.signedInUserId = login === null ? null : this.state.requireUser(login).id;
  }

  /**
   * True when `token` is a live installation access token whose installation can see the repository
   * `fullName` (for a git server standing in for github.com's git over HTTPS in tests).
   */
  installationTokenCanRead(token: string, fullName: string): boolean {
    const record = this.state.installationTokens.get(token);
    if (!record || record.expiresAt <= Date.now() || !this.state.installations.has(record.installationId)) return false;
    return this.state.tokenRepositories(record).some((r) => `${r.owner.login}/${r.name}`.toLowerCase() === fullName.toLowerCase());
  }

  /** Renames a repository (what `repository.renamed` reports); returns it as GitHub renders it. */
  renameRepository(repoId: number, newName: string): RepositoryJson {
    const repo = this.state.requireRepository(repoId);
    repo.name = newName;
    repo.updatedAt = Date.now();
    return render.repository(this.services.urls, repo);
  }

  /** Makes every installation access token issued so far expire now (the next use gets 401). */
  expireInstallationTokens(): void {
    for (const t of this.state.installationTokens.values()) t.expiresAt = Date.now() - 1;
  }

  // ---- seeding: pull requests, checks, GitHub Actions, comments (CI triage) -------------------

  /** Opens a pull request (number: next free issue number of the repository); returns `pull-request` JSON. */
  addPullRequest(repoId: number, opts: AddPullRequestOptions): Record<string, unknown> {
    return ci.pullRequest(this.ciContext, this.state.ci.addPullRequest(repoId, opts), true);
  }

  /** Changes a pull request (new head sha, title, close, merge, draft…); returns `pull-request` JSON. */
  updatePullRequest(repoId: number, number: number, patch: UpdatePullRequestPatch): Record<string, unknown> {
    return ci.pullRequest(this.ciContext, this.state.ci.updatePullRequest(repoId, number, patch), true);
  }

  /** A pull request as `GET …/pulls/{n}` renders it. */
  getPullRequest(repoId: number, number: number): Record<string, unknown> {
    return ci.pullRequest(this.ciContext, this.state.ci.requirePullRequest(repoId, number), true);
  }

  /**
   * Adds a check run (app: `github-actions` by default, or any slug). With `workflowRunId` it becomes
   * the check run of a new job of that run, with the same id (as on GitHub). Returns `check-run` JSON.
   */
  addCheckRun(repoId: number, opts: AddCheckRunOptions): Record<string, unknown> {
    return ci.checkRun(this.ciContext, this.state.ci.addCheckRun(repoId, opts));
  }

  /** Changes a check run (also a job's status, when it is a job's check run); returns `check-run` JSON. */
  updateCheckRun(id: number, patch: UpdateCheckRunPatch): Record<string, unknown> {
    return ci.checkRun(this.ciContext, this.state.ci.updateCheckRun(id, patch));
  }

  /** A check run as `GET …/check-runs/{id}` renders it. */
  getCheckRun(id: number): Record<string, unknown> {
    return ci.checkRun(this.ciContext, this.state.ci.requireCheckRun(id));
  }

  /** The check suite of a check run, as `check_run` webhooks embed it (`simple-check-suite`). */
  getCheckSuite(id: number): Record<string, unknown> {
    return ci.simpleCheckSuite(this.ciContext, this.state.ci.requireSuite(id));
  }

  /** Adds annotations to a check run (`GET …/check-runs/{id}/annotations` lists them). */
  addAnnotations(checkRunId: number, annotations: AnnotationRecord[]): void {
    this.state.ci.addAnnotations(checkRunId, annotations);
  }

  /**
   * Adds a GitHub Actions workflow run with its jobs; each job gets a check run with the same id (app
   * `github-actions`, in the run's own check suite). Logs given per job are what the log URL serves.
   */
  addWorkflowRun(repoId: number, opts: AddWorkflowRunOptions): WorkflowRunIds {
    return this.state.ci.addWorkflowRun(repoId, opts);
  }

  /** Changes a workflow run's status / conclusion; returns `workflow-run` JSON. */
  updateWorkflowRun(runId: number, patch: { status?: CheckStatus; conclusion?: CheckConclusion | null }): Record<string, unknown> {
    return ci.workflowRun(this.ciContext, this.state.ci.updateWorkflowRun(runId, patch));
  }

  /** Changes a job (its check run's status/conclusion/output, and its log/steps); returns `job` JSON. */
  updateJob(jobId: number, patch: UpdateCheckRunPatch & { log?: string | Buffer; steps?: StepSpec[] }): Record<string, unknown> {
    const job = this.state.ci.requireJob(jobId);
    const { log, steps, ...checkPatch } = patch;
    this.state.ci.updateCheckRun(jobId, checkPatch);
    if (log !== undefined) job.log = typeof log === 'string' ? Buffer.from(log, 'utf8') : log;
    if (steps !== undefined) job.steps = steps;
    return ci.job(this.ciContext, job);
  }

  /** A workflow run as `GET …/actions/runs/{id}` renders it. */
  getWorkflowRun(runId: number): Record<string, unknown> {
    return ci.workflowRun(this.ciContext, this.state.ci.requireRun(runId));
  }

  /** A run's jobs as `GET …/actions/runs/{id}/jobs` lists them (`latest` by default). */
  listJobs(runId: number, filter: 'latest' | 'all' = 'latest'): Record<string, unknown>[] {
    this.state.ci.requireRun(runId);
    return this.state.ci.runJobs(runId, filter).map((j) => ci.job(this.ciContext, j));
  }

  /** A job as `GET …/actions/jobs/{id}` renders it. */
  getJob(jobId: number): Record<string, unknown> {
    return ci.job(this.ciContext, this.state.ci.requireJob(jobId));
  }

  /** Comments on an issue / pull request, oldest first, as `issue-comment` JSON. */
  comments(repoId: number, issueNumber: number): Record<string, unknown>[] {
    return this.state.ci.commentsOn(repoId, issueNumber).map((c) => ci.issueComment(this.ciContext, c));
  }

  /** Adds a comment by a person (default `octocat`) to a pull request; returns `issue-comment` JSON. */
  addComment(repoId: number, issueNumber: number, opts: { body: string; user?: string }): Record<string, unknown> {
    if (!this.state.ci.findIssue(repoId, issueNumber)) this.state.ci.requirePullRequest(repoId, issueNumber);
    const comment = this.state.ci.addComment(repoId, issueNumber, opts.body, this.state.ci.person(opts.user), null);
    return ci.issueComment(this.ciContext, comment);
  }

  // ---- issues, collaborators and reviews (what Switchyard's agents call) -------------------------

  /** Adds an issue (numbers shared with pull requests); returns `issue` JSON. */
  addIssue(repoId: number, opts: { number?: number; title: string; body?: string | null; user?: string; labels?: string[]; assignees?: string[] }): Record<string, unknown> {
    return issueJson(this.ciContext, this.state.ci.addIssue(repoId, opts));
  }

  /** An issue as `GET …/issues/{n}` renders it. */
  getIssue(repoId: number, number: number): Record<string, unknown> {
    const issue = this.state.ci.findIssue(repoId, number);
    if (!issue) throw new Error(`no issue #${number} in repository ${repoId}`);
    return issueJson(this.ciContext, issue);
  }

  /** Changes an issue's labels or assignees (what a person does before GitHub sends the event). */
  updateIssue(repoId: number, number: number, patch: { labels?: string[]; assignees?: string[] }): Record<string, unknown> {
    const issue = this.state.ci.findIssue(repoId, number);
    if (!issue) throw new Error(`no issue #${number} in repository ${repoId}`);
    if (patch.labels) issue.labels = patch.labels;
    if (patch.assignees) issue.assignees = patch.assignees.map((l) => this.state.ci.person(l));
    issue.updatedAt = Date.now();
    return issueJson(this.ciContext, issue);
  }

  /** Gives `login` a role on a repository (admin, maintain, write, triage, read; owners are admin). */
  setCollaborator(repoId: number, login: string, role: 'admin' | 'maintain' | 'write' | 'triage' | 'read'): void {
    this.state.ci.person(login);
    this.state.ci.collaborators.set(`${repoId}:${login.toLowerCase()}`, role);
  }

  /** How `POST …/pulls` learns that a branch exists and its head (the test's git server). */
  setBranchResolver(resolve: ((repoId: number, branch: string) => string | undefined) | null): void {
    this.state.ci.branchHead = resolve;
  }

  /** Pull request reviews posted, oldest first, as `pull-request-review` JSON with the event asked for. */
  reviews(repoId: number, pullNumber?: number): Array<Record<string, unknown> & { event: string }> {
    return this.state.ci.reviews.filter((r) => r.repoId === repoId && (pullNumber === undefined || r.pullNumber === pullNumber)).map((r) => ({ ...reviewJson(this.ciContext, r), event: r.event }));
  }

  /** Pull requests of a repository as `GET …/pulls/{n}` renders them. */
  pullRequests(repoId: number): Record<string, unknown>[] {
    return [...this.state.ci.pullRequests.values()].filter((p) => p.repoId === repoId).map((p) => ci.pullRequest(this.ciContext, p, true));
  }

  /** `POST …/actions/runs/{id}/rerun-failed-jobs` calls the fake accepted, oldest first. */
  get rerunRequests(): readonly RerunRequest[] {
    return this.state.ci.rerunRequests;
  }

  /**
   * Finishes a re-run of a run's failed jobs: the jobs a `rerun-failed-jobs` request queued (or, without
   * one, the run's failed jobs, re-run now as if someone clicked "Re-run failed jobs") complete with
   * `conclusion` (per job: `jobs[name]`) and their logs; they have new ids (= check run ids), the same
   * names and head sha, and `run_attempt` + 1. The run completes. With `deliver: true`, a `check_run`
   * `completed` webhook is delivered for each re-run job's check run.
   */
  async completeRerun(runId: number, opts: CompleteRerunOptions): Promise<CompletedRerun> {
    const ciState = this.state.ci;
    const run = ciState.requireRun(runId);
    const pending = ciState.runJobs(runId, run.runAttempt).some((j) => ciState.checkRuns.get(j.id)?.status !== 'completed');
    if (!pending || run.status === 'completed') {
      const refusal = ciState.rerunRefusal(run);
      if (refusal) throw new Error(`workflow run ${runId} cannot be re-run: ${refusal}`);
      ciState.startRerun(run);
    }
    const jobs = ciState.completeAttempt(run, opts);
    const deliveries: DeliveryOutcome[] = [];
    if (opts.deliver) {
      const installation = [...this.state.installations.values()].find((i) => i.repositoryIds.includes(run.repoId));
      if (!installation) throw new Error(`completeRerun: repository ${run.repoId} is in no installation to deliver for`);
      for (const j of jobs) deliveries.push(await this.deliver('check_run', checkRunPayload(this, installation.id, j.id, 'completed')));
    }
    return {
      runId,
      runAttempt: run.runAttempt,
      conclusion: run.conclusion,
      jobs: jobs.map((j) => ({ id: j.id, checkRunId: j.id, name: j.name, conclusion: ciState.checkRuns.get(j.id)?.conclusion ?? null })),
      deliveries,
    };
  }

  /** Every request made to a job-log URL (status, Range, whether an Authorization header was sent). */
  get logDownloads(): readonly LogDownload[] {
    return this.blobs.downloads;
  }

  /** Base URL of the log "blob storage" (a second origin). */
  get blobUrl(): string {
    return this.blobs.baseUrl;
  }

  /** Makes every job-log URL handed out so far expire now (the next download gets Azure's 403). */
  expireLogUrls(): void {
    this.blobs.expireAll();
  }

  private get ciContext(): ci.CiContext {
    return { urls: this.services.urls, state: this.state };
  }

  // ---- reading state --------------------------------------------------------------------------

  /** An installation as GitHub renders it (also what installation webhooks carry). */
  getInstallation(id: number): InstallationJson {
    const inst = this.state.requireInstallation(id);
    return render.installation(this.services.urls, inst, this.state.requireApp(inst.appId));
  }

  /** A repository as GitHub renders it. */
  getRepository(id: number): RepositoryJson {
    return render.repository(this.services.urls, this.state.requireRepository(id));
  }

  /** The repositories of an installation, in the order they were added. */
  listRepositories(installationId: number): RepositoryJson[] {
    return this.state.requireInstallation(installationId).repositoryIds.map((id) => this.getRepository(id));
  }

  /** An account (user or organization) as `simple-user`. */
  getAccount(login: string): AccountJson {
    const account = this.state.findAccount(login);
    if (!account) throw new Error(`no account ${login}`);
    return render.simpleUser(this.services.urls, account);
  }

  /** The credentials of an app (default: the first created). */
  getApp(appId?: number): FakeApp {
    return this.appCredentials(this.state.requireApp(appId));
  }

  /** Installation access tokens issued so far (to check a client caches them). */
  get tokensIssued(): number {
    return this.state.tokensIssued;
  }

  /** Hook deliveries recorded so far, oldest first (redeliveries included). */
  get deliveries(): HookDelivery[] {
    return this.state.deliveries.map((d) => d.delivery);
  }

  /** OAuth authorizations the signed-in user approved, oldest first. */
  get authorizations(): readonly { appId: number; login: string; state: string | null; redirectUri: string; code: string }[] {
    return this.state.authorizations;
  }

  // ---- webhooks -------------------------------------------------------------------------------

  /**
   * Where deliveries go. Without `appId`: every existing app and apps created later; with it, that app.
   * `secret` (optional) replaces the apps' webhook secret.
   */
  setWebhookTarget(url: string | null, secret?: string, appId?: number): void {
    const apps: AppRecord[] = appId === undefined ? [...this.state.apps.values()] : [this.state.requireApp(appId)];
    for (const app of apps) {
      app.webhookUrl = url;
      if (secret !== undefined) app.webhookSecret = secret;
    }
    if (appId === undefined) this.state.webhookDefaults = { url, secret: secret ?? this.state.webhookDefaults.secret };
  }

  /** Sends a signed delivery of `event` to the app's webhook target and records it. */
  deliver(event: string, payload: Record<string, unknown>, opts: DeliverOptions = {}): Promise<DeliveryOutcome> {
    return this.webhooks.deliver(event, payload, opts);
  }

  /** Resolves once no delivery or scheduled redelivery is in flight. */
  settled(): Promise<void> {
    return this.webhooks.settled();
  }

  // ---- failure injection and validation -------------------------------------------------------

  /**
   * The next `times` requests matching `method` ('*' for any) and `pathPattern` (tested against the
   * REST path without `/api/v3` and against the full path) get this response instead of being handled.
   * Without a body, the body is GitHub's error for the status (403/429: the secondary-rate-limit
   * message, plus `retry-after: 1` unless headers set one).
   */
  failNext(method: string, pathPattern: RegExp, spec: FailureSpec, times = 1): void {
    this.failures.push({ method: method.toUpperCase(), pattern: pathPattern, spec, remaining: times });
  }

  /**
   * Test-only: the next REST response whose path matches gets its JSON body passed through `mutate`
   * (which may edit it in place or return a replacement) before validation - to prove that a wrong
   * shape is caught.
   */
  corruptNext(pathPattern: RegExp, mutate: (body: unknown) => unknown): void {
    this.corruptions.push({ pattern: pathPattern, mutate });
  }

  /** Throws if any response failed validation or the fake itself threw. */
  assertValid(): void {
    const problems = [...this.validationErrors, ...this.internalErrors.map((e) => `internal error: ${e}`)];
    if (problems.length > 0) throw new Error(`fake GitHub saw ${problems.length} problem(s):\n- ${problems.join('\n- ')}`);
  }

  /** Stops the server (open connections are closed) after in-flight deliveries finish. */
  async close(): Promise<void> {
    await this.webhooks.settled();
    const stop = (server: http.Server) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    await Promise.all([stop(this.server), ...(this.blobServer ? [stop(this.blobServer.server)] : [])]);
  }

  /** @internal the request listener of the log blob storage (honours `failNext`). */
  handleBlob(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', this.blobs.baseUrl).pathname;
    const failure = this.takeFailure((req.method ?? 'GET').toUpperCase(), path, path);
    if (failure) {
      const response = this.failureResponse(failure, DOCS_ROOT, requestId());
      const body = response.json !== undefined ? JSON.stringify(response.json) : (response.text ?? '');
      res.writeHead(response.status, { 'content-type': response.json !== undefined ? 'application/json' : 'text/plain', ...response.headers });
      res.end(body);
      return;
    }
    this.blobs.handle(req, res);
  }

  // ---- request pipeline -----------------------------------------------------------------------

  /** @internal the node:http request listener. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    if (!this.blobServer && (req.url ?? '').startsWith('/_logs/')) {
      this.handleBlob(req, res);
      return;
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.url);
    const isApi = url.pathname === API_PREFIX || url.pathname.startsWith(`${API_PREFIX}/`);
    const path = isApi ? url.pathname.slice(API_PREFIX.length) || '/' : url.pathname;
    const credentials = parseAuthorization(req.headers.authorization);
    const reqId = requestId();
    const raw = await readBody(req);
    const validate = isApi && this.options.validate !== false;
    const op = validate ? operationFor(method, path) : {};
    const docsUrl = op.docsUrl ?? DOCS_ROOT;

    let response: FakeResponse;
    let injected = false;
    const failure = this.takeFailure(method, url.pathname, path);
    const bucket = isApi ? this.bucket(credentials) : undefined;
    if (failure) {
      injected = true;
      response = this.failureResponse(failure, docsUrl, reqId);
    } else if (bucket && bucket.state.used >= bucket.state.limit) {
      response = githubError(403, bucket.exceededMessage, PRIMARY_RATE_LIMIT_DOCS);
    } else {
      response = await this.route(isApi, method, path, url, req, raw, credentials, docsUrl);
    }
    if (isApi && !injected) response = this.corruptAndValidate(method, path, url.pathname, response, validate);

    const headers: Record<string, string> = {};
    let body: string | undefined = response.json !== undefined ? JSON.stringify(response.json) : response.text;
    let status = response.status;
    if (isApi) {
      Object.assign(headers, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-media-type': 'github.v3; format=json',
        'x-github-api-version-selected': '2022-11-28',
        vary: 'Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding',
        'cache-control': method === 'GET' && status === 200 ? 'private, max-age=60, s-maxage=60' : 'no-cache',
      });
      if (method === 'GET' && status === 200 && body !== undefined) {
        const etag = etagFor(body);
        headers.etag = etag;
        if (ifNoneMatchMatches(req.headers['if-none-match'], etag)) {
          status = 304;
          body = undefined;
        }
      }
      if (bucket) {
        // 304s are free, as on GitHub.
        if (status !== 304 && bucket.state.used < bucket.state.limit) bucket.state.used += 1;
        Object.assign(headers, {
          'x-ratelimit-limit': String(bucket.state.limit),
          'x-ratelimit-remaining': String(Math.max(0, bucket.state.limit - bucket.state.used)),
          'x-ratelimit-reset': String(bucket.state.resetAt),
          'x-ratelimit-used': String(bucket.state.used),
          'x-ratelimit-resource': 'core',
        });
      }
    }
    headers['x-github-request-id'] = reqId;
    Object.assign(headers, response.headers ?? {});
    if (status === 304 || status === 204) {
      delete headers['content-type'];
      body = undefined;
    }
    this.requests.push({ method, path: url.pathname, query: url.search, status, auth: credentials.kind, operation: op.operationId, at });
    res.writeHead(status, headers);
    res.end(body);
  }

  private appCredentials(app: AppRecord): FakeApp {
    return { id: app.id, slug: app.slug, name: app.name, nodeId: app.nodeId, clientId: app.clientId, clientSecret: app.clientSecret, webhookSecret: app.webhookSecret, privateKey: app.privateKey };
  }

  private async route(isApi: boolean, method: string, path: string, url: URL, req: IncomingMessage, raw: Buffer, credentials: RouteContext['credentials'], docsUrl: string): Promise<FakeResponse> {
    const matched = (isApi ? this.apiRouter : this.webRouter).match(method, path);
    if (!matched) return isApi ? githubError(404, 'Not Found', DOCS_ROOT) : htmlPage(404, 'Page not found', 'This is not the web page you are looking for.');
    let parsed: Record<string, unknown> | undefined;
    const ctx: RouteContext = {
      method,
      path,
      params: matched.params,
      query: url.searchParams,
      headers: req.headers,
      body: () => (parsed ??= parseBody(raw, req.headers['content-type'])),
      credentials,
      docsUrl,
      publicUrl: `${this.url}${url.pathname}${url.search}`,
      services: this.services,
    };
    try {
      return await matched.handler(ctx);
    } catch (err) {
      if (err instanceof HttpError) return err.response;
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.internalErrors.push(`${method} ${url.pathname}: ${message}`);
      return isApi ? githubError(500, `fake-github internal error: ${err instanceof Error ? err.message : String(err)}`) : htmlPage(500, 'Server Error', String(err));
    }
  }

  private corruptAndValidate(method: string, path: string, fullPath: string, response: FakeResponse, validate: boolean): FakeResponse {
    let out = response;
    const index = this.corruptions.findIndex((c) => c.pattern.test(path) || c.pattern.test(fullPath));
    const corruption = index >= 0 ? this.corruptions.splice(index, 1)[0] : undefined;
    if (corruption && out.json !== undefined) {
      const body = out.json;
      const replaced = corruption.mutate(body);
      out = { ...out, json: replaced === undefined ? body : replaced };
    }
    if (!validate) return out;
    const verdict = validateResponse({ method, path, status: out.status, body: out.json });
    if (!verdict.error) return out;
    this.validationErrors.push(verdict.error);
    return githubError(500, `fake-github: response does not match GitHub's OpenAPI description: ${verdict.error}`);
  }

  private takeFailure(method: string, fullPath: string, path: string): FailureSpec | undefined {
    const index = this.failures.findIndex((f) => (f.method === '*' || f.method === method) && (f.pattern.test(path) || f.pattern.test(fullPath)));
    const found = index >= 0 ? this.failures[index] : undefined;
    if (!found) return undefined;
    found.remaining -= 1;
    if (found.remaining <= 0) this.failures.splice(index, 1);
    return found.spec;
  }

  private failureResponse(spec: FailureSpec, docsUrl: string, reqId: string): FakeResponse {
    const headers: Record<string, string> = {};
    const given = Object.fromEntries(Object.entries(spec.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    if (spec.body === undefined && (spec.status === 403 || spec.status === 429) && !('retry-after' in given) && !('x-ratelimit-remaining' in given)) {
      headers['retry-after'] = '1';
    }
    Object.assign(headers, given);
    if (spec.body === undefined) return { status: spec.status, headers, json: defaultFailureBody(spec.status, docsUrl, reqId) };
    if (typeof spec.body === 'string') return { status: spec.status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, text: spec.body };
    return { status: spec.status, headers, json: spec.body };
  }

  private bucket(credentials: RouteContext['credentials']): { state: RateBucket; exceededMessage: string } {
    const { key, authenticated } = rateLimitBucket(this.state, credentials);
    const now = Math.floor(Date.now() / 1000);
    let bucket = this.rateBuckets.get(key);
    if (!bucket || bucket.resetAt <= now) {
      const limit = authenticated ? (this.options.rateLimit ?? 5000) : (this.options.unauthenticatedRateLimit ?? 60);
      bucket = { limit, used: 0, resetAt: now + 3600 };
      this.rateBuckets.set(key, bucket);
    }
    const [kind, id] = key.split(':');
    const exceededMessage =
      kind === 'installation'
        ? `API rate limit exceeded for installation ID ${id}.`
        : kind === 'user'
          ? `API rate limit exceeded for user ID ${id}.`
          : kind === 'app'
            ? `API rate limit exceeded for app ID ${id}.`
            : "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)";
    return { state: bucket, exceededMessage };
  }
}

/** Starts a fake GitHub on 127.0.0.1 (ephemeral port). */
export async function startFakeGitHub(options: StartFakeGitHubOptions = {}): Promise<FakeGitHub> {
  // First start in a process: have one key ready without blocking the event loop, a second one coming.
  if (pooledKeyCount() === 0) await prewarmKeys(1);
  void prewarmKeys(2);
  const holder: { fake?: FakeGitHub } = {};
  const server = http.createServer((req, res) => {
    const fake = holder.fake;
    if (!fake) {
      res.writeHead(503).end();
      return;
    }
    fake.handle(req, res).catch((err: unknown) => {
      fake.internalErrors.push(String(err));
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  const blobServer = http.createServer((req, res) => {
    const fake = holder.fake;
    if (!fake) {
      res.writeHead(503).end();
      return;
    }
    try {
      fake.handleBlob(req, res);
    } catch (err) {
      fake.internalErrors.push(`blob storage: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });
  const listen = (s: http.Server) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => resolve());
    });
  await Promise.all([listen(server), listen(blobServer)]);
  const fake = new FakeGitHub(server, (server.address() as AddressInfo).port, options, { server: blobServer, port: (blobServer.address() as AddressInfo).port });
  holder.fake = fake;
  return fake;
}
