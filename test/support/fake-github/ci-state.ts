/**
 * The CI-triage part of the in-memory GitHub: pull requests, check suites and check runs (with
 * annotations), GitHub Actions workflows, runs and jobs (whose logs are downloadable), issue comments
 * and re-run requests. Plain records (camelCase); `ci-representations.ts` renders GitHub's JSON.
 *
 * As on GitHub, a GitHub Actions job and its check run share one id: `checkRuns.get(job.id)` holds the
 * job's status, conclusion and timestamps, so the two can never disagree.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AccountRecord, AppRecord, FakeState, RepositoryRecord } from './state.js';

export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type CheckConclusion = 'success' | 'failure' | 'neutral' | 'cancelled' | 'skipped' | 'timed_out' | 'action_required';
export type AnnotationLevel = 'notice' | 'warning' | 'failure';

/** The app a check suite / check run belongs to: one of the fake's apps, or a third-party app such as GitHub Actions. */
export type CheckApp = { kind: 'fake'; appId: number } | { kind: 'external'; app: ExternalAppRecord };

/** A GitHub App that is not one of the test's apps (GitHub Actions, a third-party CI). */
export interface ExternalAppRecord {
  id: number;
  slug: string;
  name: string;
  description: string | null;
  owner: AccountRecord;
  externalUrl: string;
  permissions: Record<string, string>;
  events: string[];
  createdAt: number;
  updatedAt: number;
}

export interface PullRequestRecord {
  id: number;
  number: number;
  repoId: number;
  title: string;
  body: string | null;
  user: AccountRecord;
  state: 'open' | 'closed';
  draft: boolean;
  merged: boolean;
  locked: boolean;
  labels: string[];
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  mergedAt: number | null;
  mergeCommitSha: string | null;
}

export interface CheckSuiteRecord {
  id: number;
  repoId: number;
  headSha: string;
  headBranch: string | null;
  app: CheckApp;
  createdAt: number;
  updatedAt: number;
}

export interface AnnotationRecord {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number | null;
  end_column?: number | null;
  annotation_level: AnnotationLevel;
  message: string;
  title?: string | null;
  raw_details?: string | null;
}

export interface CheckRunRecord {
  id: number;
  repoId: number;
  suiteId: number;
  name: string;
  headSha: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  startedAt: number | null;
  completedAt: number | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: AnnotationRecord[];
  externalId: string;
  detailsUrl: string | null;
  /** Explicit pull request numbers; null = the open pull requests whose head is this commit (GitHub's rule). */
  pullRequests: number[] | null;
  /** Set for GitHub Actions check runs: the job with the same id belongs to this run. */
  workflowRunId: number | null;
  createdAt: number;
}

export interface WorkflowRecord {
  id: number;
  repoId: number;
  name: string;
  path: string;
  nextRunNumber: number;
}

export interface WorkflowRunRecord {
  id: number;
  repoId: number;
  workflowId: number;
  name: string;
  displayTitle: string;
  path: string;
  headSha: string;
  headBranch: string | null;
  event: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  runNumber: number;
  runAttempt: number;
  checkSuiteId: number;
  actor: AccountRecord;
  triggeringActor: AccountRecord;
  pullRequests: number[] | null;
  createdAt: number;
  updatedAt: number;
  runStartedAt: number;
}

export interface StepSpec {
  name: string;
  status?: 'queued' | 'in_progress' | 'completed';
  conclusion?: string | null;
}

export interface JobRecord {
  /** Also the id of the job's check run. */
  id: number;
  runId: number;
  runAttempt: number;
  name: string;
  /** The raw log; null = a short generated log once the job completed. */
  log: Buffer | null;
  steps: StepSpec[] | null;
  labels: string[];
  createdAt: number;
}

export interface CommentRecord {
  id: number;
  repoId: number;
  issueNumber: number;
  body: string;
  user: AccountRecord;
  /** The app that posted it (as its bot), or null for a person. */
  appId: number | null;
  createdAt: number;
  updatedAt: number;
}

/** An issue (not a pull request) of a repository (see `fake.addIssue()`). */
export interface IssueRecord {
  id: number;
  number: number;
  repoId: number;
  title: string;
  body: string | null;
  user: AccountRecord;
  state: 'open' | 'closed';
  labels: string[];
  assignees: AccountRecord[];
  createdAt: number;
  updatedAt: number;
}

/** A pull request review (`POST …/pulls/{n}/reviews`). */
export interface ReviewRecord {
  id: number;
  repoId: number;
  pullNumber: number;
  user: AccountRecord;
  appId: number | null;
  body: string;
  event: 'COMMENT' | 'APPROVE' | 'REQUEST_CHANGES';
  commitId: string;
  submittedAt: number;
}

/** One `POST …/actions/runs/{run_id}/rerun-failed-jobs` the fake accepted (see `fake.rerunRequests`). */
export interface RerunRequest {
  runId: number;
  repositoryId: number;
  /** The attempt the re-run created (the run's `run_attempt` after the request). */
  attempt: number;
  /** The job names being re-run. */
  jobNames: string[];
  enableDebugLogging: boolean;
  installationId: number;
  at: number;
}

/** Options of `fake.addPullRequest()`. */
export interface AddPullRequestOptions {
  number?: number;
  id?: number;
  title: string;
  body?: string | null;
  head: { ref: string; sha: string };
  base: { ref: string; sha?: string };
  /** Author login (a User account is created when missing); defaults to `octocat`. */
  user?: string;
  state?: 'open' | 'closed';
  draft?: boolean;
  merged?: boolean;
  locked?: boolean;
  labels?: string[];
  createdAt?: Date | string;
}

/** Patch of `fake.updatePullRequest()`. */
export interface UpdatePullRequestPatch {
  title?: string;
  body?: string | null;
  head?: { ref?: string; sha?: string };
  base?: { ref?: string; sha?: string };
  state?: 'open' | 'closed';
  draft?: boolean;
  merged?: boolean;
  locked?: boolean;
  labels?: string[];
}

/** Options of `fake.addCheckRun()`. */
export interface AddCheckRunOptions {
  name: string;
  headSha: string;
  /** Default `queued` (GitHub's default), or `completed` when a conclusion is given. */
  status?: CheckStatus;
  conclusion?: CheckConclusion | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
  /** `github-actions` (default), the slug of one of the fake's apps, or any other slug (a third-party app). */
  app?: string;
  startedAt?: Date | string;
  completedAt?: Date | string;
  /** Explicit pull request numbers; default: the open pull requests whose head sha is `headSha`. */
  pullRequests?: number[];
  /** Make it the check run of a job of this workflow run (the job is created with the same id and name). */
  workflowRunId?: number;
  /** The job id (= check run id) to use; requires `workflowRunId`. */
  jobId?: number;
  externalId?: string;
  detailsUrl?: string | null;
  headBranch?: string | null;
  /** The log of the job (only with `workflowRunId`). */
  log?: string | Buffer;
}

/** Patch of `fake.updateCheckRun()` / `fake.updateJob()`. */
export interface UpdateCheckRunPatch {
  name?: string;
  status?: CheckStatus;
  conclusion?: CheckConclusion | null;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
  startedAt?: Date | string | null;
  completedAt?: Date | string | null;
  pullRequests?: number[] | null;
  detailsUrl?: string | null;
}

/** One job of `fake.addWorkflowRun()`. */
export interface WorkflowJobSpec {
  name: string;
  status?: CheckStatus;
  conclusion?: CheckConclusion | null;
  log?: string | Buffer;
  steps?: StepSpec[];
  labels?: string[];
  output?: { title?: string | null; summary?: string | null; text?: string | null };
}

/** Options of `fake.addWorkflowRun()`. */
export interface AddWorkflowRunOptions {
  id?: number;
  /** The workflow's name (e.g. `CI`). */
  name: string;
  /** Default `.github/workflows/<name>.yml`. */
  path?: string;
  displayTitle?: string;
  headSha: string;
  headBranch: string | null;
  /** Default `pull_request`. */
  event?: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  jobs: WorkflowJobSpec[];
  /** Login of the actor; defaults to `octocat`. */
  actor?: string;
  pullRequests?: number[];
  createdAt?: Date | string;
}

/** What `fake.addWorkflowRun()` returns. */
export interface WorkflowRunIds {
  id: number;
  runNumber: number;
  runAttempt: number;
  checkSuiteId: number;
  jobs: { id: number; checkRunId: number; name: string }[];
}

/** Options of `fake.completeRerun()`. */
export interface CompleteRerunOptions {
  /** The conclusion of every re-run job (unless `jobs` overrides it). */
  conclusion: CheckConclusion;
  /** The log of every re-run job (unless `jobs` overrides it). */
  log?: string | Buffer;
  /** Per job name: its own conclusion / log / steps. */
  jobs?: Record<string, { conclusion?: CheckConclusion; log?: string | Buffer; steps?: StepSpec[] }>;
  /** Deliver a `check_run` `completed` webhook for each re-run job's check run (default false). */
  deliver?: boolean;
}

const FAILED: ReadonlySet<string> = new Set(['failure', 'cancelled', 'timed_out', 'startup_failure', 'action_required']);
export const GITHUB_ACTIONS_SLUG = 'github-actions';

class Counter {
  constructor(private next: number) {}
  take(isUsed: (id: number) => boolean): number {
    while (isUsed(this.next)) this.next += 1;
    return this.next++;
  }
}

export function toMs(value: Date | string | number | undefined | null, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  return typeof value === 'number' ? value : new Date(value).getTime();
}

function toBuffer(log: string | Buffer | undefined): Buffer | null {
  if (log === undefined) return null;
  return typeof log === 'string' ? Buffer.from(log, 'utf8') : log;
}

export function isSha(value: string): boolean {
  return /^[0-9a-f]{40}$/i.test(value);
}

/** A deterministic fake commit sha. */
export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

/** The CI state of one fake; lives on `FakeState.ci`. */
export class CiState {
  readonly pullRequests = new Map<number, PullRequestRecord>();
  readonly checkSuites = new Map<number, CheckSuiteRecord>();
  readonly checkRuns = new Map<number, CheckRunRecord>();
  readonly workflows = new Map<number, WorkflowRecord>();
  readonly workflowRuns = new Map<number, WorkflowRunRecord>();
  readonly jobs = new Map<number, JobRecord>();
  readonly comments = new Map<number, CommentRecord>();
  readonly rerunRequests: RerunRequest[] = [];
  readonly issues = new Map<number, IssueRecord>();
  readonly reviews: ReviewRecord[] = [];
  /** `${repoId}:${login lowercased}` -> admin | maintain | write | triage | read (owners are admin). */
  readonly collaborators = new Map<string, string>();
  /** Resolves a branch to its head sha from real git (a test's git server), for creating pull requests. */
  branchHead: ((repoId: number, branch: string) => string | undefined) | null = null;
  /** Third-party apps by slug (GitHub Actions is created on first use). */
  readonly externalApps = new Map<string, ExternalAppRecord>();
  /** App id -> its bot account (`<slug>[bot]`). */
  private readonly bots = new Map<number, AccountRecord>();
  /** Repository id -> last issue/pull request number used. */
  private readonly issueNumbers = new Map<number, number>();

  private readonly pullIds = new Counter(1_900_000_001);
  private readonly suiteIds = new Counter(26_000_000_001);
  /** Check runs and jobs share ids (a job's check run has the job's id). */
  private readonly checkRunIds = new Counter(31_000_000_001);
  private readonly workflowIds = new Counter(95_000_001);
  private readonly runIds = new Counter(12_000_000_001);
  private readonly commentIds = new Counter(2_600_000_001);
  private readonly issueIds = new Counter(3_100_000_001);
  readonly reviewIds = new Counter(2_200_000_001);
  private readonly externalAppIds = new Counter(900_001);

  constructor(private readonly state: FakeState) {}

  // ---- apps and people -----------------------------------------------------------------------

  /** The GitHub Actions app (id 15368, owned by the `github` organization, as on github.com). */
  githubActions(): ExternalAppRecord {
    let app = this.externalApps.get(GITHUB_ACTIONS_SLUG);
    if (!app) {
      const owner = this.state.findAccount('github') ?? this.state.ensureAccount({ login: 'github', id: 9919, type: 'Organization' });
      app = {
        id: 15368,
        slug: GITHUB_ACTIONS_SLUG,
        name: 'GitHub Actions',
        description: 'Automate your workflow from idea to production',
        owner,
        externalUrl: 'https://help.github.com/en/actions',
        permissions: { actions: 'write', checks: 'write', contents: 'write', deployments: 'write', issues: 'write', metadata: 'read', packages: 'write', pull_requests: 'write', statuses: 'write' },
        events: ['check_run', 'check_suite', 'pull_request', 'push', 'workflow_dispatch', 'workflow_run'],
        createdAt: Date.parse('2018-07-30T09:30:17Z'),
        updatedAt: Date.parse('2024-04-10T20:33:16Z'),
      };
      this.externalApps.set(app.slug, app);
    }
    return app;
  }

  /** `github-actions`, one of the fake's apps by slug, or a third-party app made up for that slug. */
  checkAppFor(slug: string | undefined): CheckApp {
    if (slug === undefined || slug === GITHUB_ACTIONS_SLUG) return { kind: 'external', app: this.githubActions() };
    const own = [...this.state.apps.values()].find((a) => a.slug === slug);
    if (own) return { kind: 'fake', appId: own.id };
    let app = this.externalApps.get(slug);
    if (!app) {
      const now = Date.now();
      const owner = this.state.ensureAccount({ login: `${slug}-org`, type: 'Organization' });
      app = {
        id: this.externalAppIds.take((n) => this.state.apps.has(n) || [...this.externalApps.values()].some((a) => a.id === n)),
        slug,
        name: slug,
        description: null,
        owner,
        externalUrl: `https://${slug}.example.com`,
        permissions: { checks: 'write', metadata: 'read' },
        events: ['check_run', 'check_suite'],
        createdAt: now,
        updatedAt: now,
      };
      this.externalApps.set(slug, app);
    }
    return { kind: 'external', app };
  }

  checkAppId(app: CheckApp): number {
    return app.kind === 'fake' ? app.appId : app.app.id;
  }

  /** The bot account an app acts as (`<slug>[bot]`, type Bot). */
  botFor(app: AppRecord): AccountRecord {
    let bot = this.bots.get(app.id);
    if (!bot) {
      const used = new Set([...this.state.accounts.values()].map((a) => a.id));
      let id = 41_000_001 + app.id;
      while (used.has(id)) id += 1;
      bot = { id, login: `${app.slug}[bot]`, type: 'Bot', name: null, email: null, avatarUrl: null, createdAt: app.createdAt };
      this.bots.set(app.id, bot);
    }
    return bot;
  }

  /** A person (User account), created on first mention. */
  person(login: string | undefined): AccountRecord {
    const name = login ?? 'octocat';
    return this.state.findAccount(name) ?? this.state.ensureAccount({ login: name, type: 'User' });
  }

  // ---- pull requests -------------------------------------------------------------------------

  private nextIssueNumber(repoId: number, wanted?: number): number {
    const last = this.issueNumbers.get(repoId) ?? 0;
    const number = wanted ?? last + 1;
    if ([...this.pullRequests.values(), ...this.issues.values()].some((p) => p.repoId === repoId && p.number === number)) throw new Error(`repository ${repoId} already has #${number}`);
    this.issueNumbers.set(repoId, Math.max(last, number));
    return number;
  }

  addPullRequest(repoId: number, opts: AddPullRequestOptions): PullRequestRecord {
    this.state.requireRepository(repoId);
    const now = Date.now();
    const createdAt = toMs(opts.createdAt, now);
    const merged = opts.merged ?? false;
    const state = merged ? 'closed' : (opts.state ?? 'open');
    const pr: PullRequestRecord = {
      id: opts.id ?? this.pullIds.take((n) => [...this.pullRequests.values()].some((p) => p.id === n)),
      number: this.nextIssueNumber(repoId, opts.number),
      repoId,
      title: opts.title,
      body: opts.body ?? null,
      user: this.person(opts.user),
      state,
      draft: opts.draft ?? false,
      merged,
      locked: opts.locked ?? false,
      labels: opts.labels ?? [],
      head: { ref: opts.head.ref, sha: opts.head.sha },
      base: { ref: opts.base.ref, sha: opts.base.sha ?? fakeSha(`base:${repoId}:${opts.base.ref}`) },
      createdAt,
      updatedAt: createdAt,
      closedAt: state === 'closed' ? now : null,
      mergedAt: merged ? now : null,
      mergeCommitSha: merged ? fakeSha(`merge:${repoId}:${opts.head.sha}`) : null,
    };
    this.pullRequests.set(pr.id, pr);
    return pr;
  }

  /** Adds an issue (numbers are shared with pull requests, as on GitHub). */
  addIssue(repoId: number, opts: { number?: number; title: string; body?: string | null; user?: string; labels?: string[]; assignees?: string[] }): IssueRecord {
    this.state.requireRepository(repoId);
    const now = Date.now();
    const issue: IssueRecord = {
      id: this.issueIds.take((n) => [...this.issues.values()].some((i) => i.id === n)),
      number: this.nextIssueNumber(repoId, opts.number),
      repoId,
      title: opts.title,
      body: opts.body ?? null,
      user: this.person(opts.user),
      state: 'open',
      labels: opts.labels ?? [],
      assignees: (opts.assignees ?? []).map((l) => this.person(l)),
      createdAt: now,
      updatedAt: now,
    };
    this.issues.set(issue.id, issue);
    return issue;
  }

  findIssue(repoId: number, number: number): IssueRecord | undefined {
    return [...this.issues.values()].find((i) => i.repoId === repoId && i.number === number);
  }

  findPullRequest(repoId: number, number: number): PullRequestRecord | undefined {
    return [...this.pullRequests.values()].find((p) => p.repoId === repoId && p.number === number);
  }

  requirePullRequest(repoId: number, number: number): PullRequestRecord {
    const pr = this.findPullRequest(repoId, number);
    if (!pr) throw new Error(`no pull request #${number} in repository ${repoId}`);
    return pr;
  }

  updatePullRequest(repoId: number, number: number, patch: UpdatePullRequestPatch): PullRequestRecord {
    const pr = this.requirePullRequest(repoId, number);
    const now = Date.now();
    if (patch.title !== undefined) pr.title = patch.title;
    if (patch.body !== undefined) pr.body = patch.body;
    if (patch.head?.ref !== undefined) pr.head.ref = patch.head.ref;
    if (patch.head?.sha !== undefined) pr.head.sha = patch.head.sha;
    if (patch.base?.ref !== undefined) pr.base.ref = patch.base.ref;
    if (patch.base?.sha !== undefined) pr.base.sha = patch.base.sha;
    if (patch.draft !== undefined) pr.draft = patch.draft;
    if (patch.locked !== undefined) pr.locked = patch.locked;
    if (patch.labels !== undefined) pr.labels = [...patch.labels];
    if (patch.merged === true && !pr.merged) {
      pr.merged = true;
      pr.mergedAt = now;
      pr.mergeCommitSha = fakeSha(`merge:${repoId}:${pr.head.sha}`);
      pr.state = 'closed';
      pr.closedAt = now;
    }
    if (patch.state !== undefined && patch.state !== pr.state) {
      if (patch.state === 'open' && pr.merged) throw new Error(`pull request #${number} is merged and cannot be reopened`);
      pr.state = patch.state;
      pr.closedAt = patch.state === 'closed' ? now : null;
    }
    pr.updatedAt = now;
    return pr;
  }

  /** GitHub's `pull_requests` of a check run / workflow run: open PRs of the repository whose head is `sha`. */
  pullRequestsAt(repoId: number, sha: string, branch?: string | null): PullRequestRecord[] {
    return [...this.pullRequests.values()]
      .filter((p) => p.repoId === repoId && p.state === 'open' && p.head.sha === sha && (branch === undefined || branch === null || p.head.ref === branch))
      .sort((a, b) => a.number - b.number);
  }

  // ---- check suites and check runs -------------------------------------------------------------

  /** The suite of `app` for a commit (one per app and commit, like GitHub's; Actions: one per workflow run). */
  suiteFor(repoId: number, headSha: string, app: CheckApp, headBranch: string | null, forceNew = false): CheckSuiteRecord {
    const appId = this.checkAppId(app);
    if (!forceNew) {
      const existing = [...this.checkSuites.values()].find((s) => s.repoId === repoId && s.headSha === headSha && this.checkAppId(s.app) === appId && !this.isRunSuite(s.id));
      if (existing) return existing;
    }
    const now = Date.now();
    const suite: CheckSuiteRecord = { id: this.suiteIds.take((n) => this.checkSuites.has(n)), repoId, headSha, headBranch, app, createdAt: now, updatedAt: now };
    this.checkSuites.set(suite.id, suite);
    return suite;
  }

  private isRunSuite(suiteId: number): boolean {
    return [...this.workflowRuns.values()].some((r) => r.checkSuiteId === suiteId);
  }

  private newCheckRunId(wanted?: number): number {
    if (wanted !== undefined) {
      if (this.checkRuns.has(wanted)) throw new Error(`check run / job ${wanted} already exists`);
      return wanted;
    }
    return this.checkRunIds.take((n) => this.checkRuns.has(n));
  }

  /** Creates a check run (and, with `workflowRunId`, the job of the same id). */
  addCheckRun(repoId: number, opts: AddCheckRunOptions, fixedApp?: CheckApp): CheckRunRecord {
    this.state.requireRepository(repoId);
    const run = opts.workflowRunId === undefined ? undefined : this.requireRun(opts.workflowRunId);
    if (opts.jobId !== undefined && !run) throw new Error('addCheckRun: jobId needs workflowRunId (a job belongs to a workflow run)');
    if (run && run.repoId !== repoId) throw new Error(`workflow run ${run.id} is not in repository ${repoId}`);
    const app = fixedApp ?? (run ? { kind: 'external' as const, app: this.githubActions() } : this.checkAppFor(opts.app));
    const conclusion = opts.conclusion ?? null;
    const status: CheckStatus = opts.status ?? (conclusion ? 'completed' : 'queued');
    if (status === 'completed' && !conclusion) throw new Error(`check run ${opts.name}: a completed check run needs a conclusion`);
    if (status !== 'completed' && conclusion) throw new Error(`check run ${opts.name}: a conclusion needs status completed`);
    const now = Date.now();
    const suite = run ? this.requireSuite(run.checkSuiteId) : this.suiteFor(repoId, opts.headSha, app, opts.headBranch ?? null);
    // GitHub fills started_at in even for queued check runs (with the creation time).
    const startedAt = toMs(opts.startedAt, now);
    const record: CheckRunRecord = {
      id: this.newCheckRunId(opts.jobId),
      repoId,
      suiteId: suite.id,
      name: opts.name,
      headSha: run ? run.headSha : opts.headSha,
      status,
      conclusion,
      startedAt,
      completedAt: status === 'completed' ? toMs(opts.completedAt, Math.max(now, startedAt)) : null,
      output: { title: opts.output?.title ?? null, summary: opts.output?.summary ?? null, text: opts.output?.text ?? null },
      annotations: [],
      externalId: opts.externalId ?? (run ? randomUUID() : ''),
      detailsUrl: opts.detailsUrl === undefined ? null : opts.detailsUrl,
      pullRequests: opts.pullRequests ?? null,
      workflowRunId: run ? run.id : null,
      createdAt: now,
    };
    this.checkRuns.set(record.id, record);
    suite.updatedAt = now;
    if (run) {
      this.jobs.set(record.id, { id: record.id, runId: run.id, runAttempt: run.runAttempt, name: opts.name, log: toBuffer(opts.log), steps: null, labels: ['ubuntu-latest'], createdAt: now });
    }
    return record;
  }

  requireCheckRun(id: number): CheckRunRecord {
    const found = this.checkRuns.get(id);
    if (!found) throw new Error(`no check run ${id}`);
    return found;
  }

  requireSuite(id: number): CheckSuiteRecord {
    const found = this.checkSuites.get(id);
    if (!found) throw new Error(`no check suite ${id}`);
    return found;
  }

  updateCheckRun(id: number, patch: UpdateCheckRunPatch): CheckRunRecord {
    const run = this.requireCheckRun(id);
    const now = Date.now();
    if (patch.name !== undefined) {
      run.name = patch.name;
      const job = this.jobs.get(id);
      if (job) job.name = patch.name;
    }
    if (patch.output) {
      if (patch.output.title !== undefined) run.output.title = patch.output.title;
      if (patch.output.summary !== undefined) run.output.summary = patch.output.summary;
      if (patch.output.text !== undefined) run.output.text = patch.output.text;
    }
    if (patch.pullRequests !== undefined) run.pullRequests = patch.pullRequests;
    if (patch.detailsUrl !== undefined) run.detailsUrl = patch.detailsUrl;
    if (patch.startedAt !== undefined) run.startedAt = patch.startedAt === null ? null : toMs(patch.startedAt, now);
    if (patch.conclusion !== undefined && patch.conclusion !== null) {
      run.conclusion = patch.conclusion;
      run.status = 'completed';
    }
    if (patch.status !== undefined) {
      run.status = patch.status;
      if (patch.status !== 'completed') {
        run.conclusion = null;
        run.completedAt = null;
      }
    }
    if (patch.conclusion === null) run.conclusion = null;
    if (run.status === 'in_progress' && run.startedAt === null) run.startedAt = now;
    if (run.status === 'completed') {
      if (!run.conclusion) throw new Error(`check run ${id}: a completed check run needs a conclusion`);
      if (patch.completedAt !== undefined && patch.completedAt !== null) run.completedAt = toMs(patch.completedAt, now);
      else run.completedAt ??= now;
    }
    const suite = this.checkSuites.get(run.suiteId);
    if (suite) suite.updatedAt = now;
    const job = this.jobs.get(id);
    if (job) this.touchRun(job.runId, now);
    return run;
  }

  addAnnotations(checkRunId: number, annotations: AnnotationRecord[]): CheckRunRecord {
    const run = this.requireCheckRun(checkRunId);
    for (const a of annotations) run.annotations.push({ ...a });
    return run;
  }

  /** The check runs a suite's status and conclusion derive from (latest per name). */
  suiteRuns(suiteId: number): CheckRunRecord[] {
    return latestPerName([...this.checkRuns.values()].filter((r) => r.suiteId === suiteId));
  }

  // ---- GitHub Actions ----------------------------------------------------------------------------

  private workflowFor(repoId: number, name: string, path: string): WorkflowRecord {
    const existing = [...this.workflows.values()].find((w) => w.repoId === repoId && w.path === path);
    if (existing) return existing;
    const wf: WorkflowRecord = { id: this.workflowIds.take((n) => this.workflows.has(n)), repoId, name, path, nextRunNumber: 1 };
    this.workflows.set(wf.id, wf);
    return wf;
  }

  requireRun(id: number): WorkflowRunRecord {
    const found = this.workflowRuns.get(id);
    if (!found) throw new Error(`no workflow run ${id}`);
    return found;
  }

  requireJob(id: number): JobRecord {
    const found = this.jobs.get(id);
    if (!found) throw new Error(`no job ${id}`);
    return found;
  }

  addWorkflowRun(repoId: number, opts: AddWorkflowRunOptions): WorkflowRunIds {
    this.state.requireRepository(repoId);
    if (opts.status === 'completed' && !opts.conclusion) throw new Error(`workflow run ${opts.name}: a completed run needs a conclusion`);
    const path = opts.path ?? `.github/workflows/${opts.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'workflow'}.yml`;
    const wf = this.workflowFor(repoId, opts.name, path);
    const now = Date.now();
    const createdAt = toMs(opts.createdAt, now);
    const actions = this.githubActions();
    const suite = this.suiteFor(repoId, opts.headSha, { kind: 'external', app: actions }, opts.headBranch, true);
    const id = opts.id ?? this.runIds.take((n) => this.workflowRuns.has(n));
    if (this.workflowRuns.has(id)) throw new Error(`workflow run ${id} already exists`);
    const actor = this.person(opts.actor);
    const pr = opts.pullRequests?.[0] === undefined ? this.pullRequestsAt(repoId, opts.headSha, opts.headBranch)[0] : this.findPullRequest(repoId, opts.pullRequests[0]);
    const run: WorkflowRunRecord = {
      id,
      repoId,
      workflowId: wf.id,
      name: opts.name,
      displayTitle: opts.displayTitle ?? pr?.title ?? opts.name,
      path,
      headSha: opts.headSha,
      headBranch: opts.headBranch,
      event: opts.event ?? 'pull_request',
      status: opts.status,
      conclusion: opts.conclusion,
      runNumber: wf.nextRunNumber++,
      runAttempt: 1,
      checkSuiteId: suite.id,
      actor,
      triggeringActor: actor,
      pullRequests: opts.pullRequests ?? null,
      createdAt,
      updatedAt: Math.max(createdAt, now),
      runStartedAt: createdAt,
    };
    this.workflowRuns.set(id, run);
    const jobs = opts.jobs.map((spec) => this.addJob(run, spec, createdAt));
    return { id, runNumber: run.runNumber, runAttempt: 1, checkSuiteId: suite.id, jobs: jobs.map((j) => ({ id: j.id, checkRunId: j.id, name: j.name })) };
  }

  private addJob(run: WorkflowRunRecord, spec: WorkflowJobSpec, startedAt: number): JobRecord {
    const conclusion = spec.conclusion ?? null;
    const status: CheckStatus = spec.status ?? (conclusion ? 'completed' : run.status === 'completed' ? 'completed' : 'queued');
    const check = this.addCheckRun(run.repoId, {
      name: spec.name,
      headSha: run.headSha,
      status,
      conclusion: status === 'completed' ? (conclusion ?? run.conclusion ?? 'success') : null,
      workflowRunId: run.id,
      startedAt: new Date(startedAt),
      output: spec.output,
      log: spec.log,
    });
    const job = this.requireJob(check.id);
    job.steps = spec.steps ?? null;
    if (spec.labels) job.labels = [...spec.labels];
    return job;
  }

  updateWorkflowRun(runId: number, patch: { status?: CheckStatus; conclusion?: CheckConclusion | null }): WorkflowRunRecord {
    const run = this.requireRun(runId);
    if (patch.status !== undefined) run.status = patch.status;
    if (patch.conclusion !== undefined) run.conclusion = patch.conclusion;
    if (run.status !== 'completed') run.conclusion = null;
    else if (!run.conclusion) throw new Error(`workflow run ${runId}: a completed run needs a conclusion`);
    run.updatedAt = Date.now();
    return run;
  }

  private touchRun(runId: number, now: number): void {
    const run = this.workflowRuns.get(runId);
    if (run) run.updatedAt = Math.max(run.updatedAt, now);
  }

  /** Jobs of a run: every attempt (`all`), or the latest execution of each job (`latest`, GitHub's default). */
  runJobs(runId: number, filter: 'latest' | 'all' | number): JobRecord[] {
    const jobs = [...this.jobs.values()].filter((j) => j.runId === runId).sort((a, b) => a.id - b.id);
    if (filter === 'all') return jobs;
    if (typeof filter === 'number') return jobs.filter((j) => j.runAttempt === filter);
    const latest = new Map<string, JobRecord>();
    for (const job of jobs) latest.set(job.name, job);
    return [...latest.values()].sort((a, b) => a.id - b.id);
  }

  /** Why a run cannot be re-run (GitHub's 403 message), or null. */
  rerunRefusal(run: WorkflowRunRecord): string | null {
    if (run.status !== 'completed') return 'This workflow is already running';
    if (Date.now() - run.createdAt > 30 * 86_400_000) return 'Unable to retry this workflow run because it was created over a month ago';
    if (this.failedJobs(run).length === 0) return 'This workflow run cannot be retried';
    return null;
  }

  failedJobs(run: WorkflowRunRecord): JobRecord[] {
    return this.runJobs(run.id, 'latest').filter((j) => FAILED.has(this.checkRuns.get(j.id)?.conclusion ?? ''));
  }

  /** Starts a new attempt re-running the failed jobs: queued jobs/check runs with new ids and the same names. */
  startRerun(run: WorkflowRunRecord): JobRecord[] {
    const failed = this.failedJobs(run);
    const now = Date.now();
    run.runAttempt += 1;
    run.status = 'queued';
    run.conclusion = null;
    run.runStartedAt = now;
    run.updatedAt = now;
    return failed.map((old) => this.addJob(run, { name: old.name, status: 'queued', labels: old.labels }, now));
  }

  /** Completes the queued/in-progress jobs of the run's current attempt; the run's conclusion follows its latest jobs. */
  completeAttempt(run: WorkflowRunRecord, opts: CompleteRerunOptions): JobRecord[] {
    const now = Date.now();
    const pending = this.runJobs(run.id, run.runAttempt).filter((j) => this.checkRuns.get(j.id)?.status !== 'completed');
    for (const job of pending) {
      const own = opts.jobs?.[job.name];
      const check = this.requireCheckRun(job.id);
      check.status = 'completed';
      check.conclusion = own?.conclusion ?? opts.conclusion;
      check.startedAt ??= now;
      check.completedAt = now;
      const log = own?.log ?? opts.log;
      if (log !== undefined) job.log = toBuffer(log);
      if (own?.steps) job.steps = own.steps;
    }
    const conclusions = this.runJobs(run.id, 'latest').map((j) => this.checkRuns.get(j.id)?.conclusion ?? 'success');
    run.status = 'completed';
    run.conclusion = conclusions.some((c) => c === 'failure' || c === 'timed_out') ? 'failure' : conclusions.some((c) => c === 'cancelled') ? 'cancelled' : 'success';
    run.updatedAt = now;
    return pending;
  }

  // ---- issue comments -----------------------------------------------------------------------------

  addComment(repoId: number, issueNumber: number, body: string, user: AccountRecord, appId: number | null): CommentRecord {
    const now = Date.now();
    const comment: CommentRecord = { id: this.commentIds.take((n) => this.comments.has(n)), repoId, issueNumber, body, user, appId, createdAt: now, updatedAt: now };
    this.comments.set(comment.id, comment);
    const pr = this.findPullRequest(repoId, issueNumber);
    if (pr) pr.updatedAt = now;
    const issue = this.findIssue(repoId, issueNumber);
    if (issue) issue.updatedAt = now;
    return comment;
  }

  commentsOn(repoId: number, issueNumber: number): CommentRecord[] {
    return [...this.comments.values()].filter((c) => c.repoId === repoId && c.issueNumber === issueNumber).sort((a, b) => a.id - b.id);
  }

  // ---- lookups used by the routes ----------------------------------------------------------------

  /** Every commit sha the fake knows for a repository (pull request heads/bases, check runs, workflow runs). */
  knowsCommit(repoId: number, sha: string): boolean {
    const s = sha.toLowerCase();
    for (const p of this.pullRequests.values()) if (p.repoId === repoId && (p.head.sha === s || p.base.sha === s || p.mergeCommitSha === s)) return true;
    for (const r of this.checkRuns.values()) if (r.repoId === repoId && r.headSha === s) return true;
    for (const r of this.workflowRuns.values()) if (r.repoId === repoId && r.headSha === s) return true;
    return false;
  }

  /** Resolves a ref (sha, `refs/heads/x`, `heads/x` or a branch name) to a commit sha, if known. */
  resolveRef(repo: RepositoryRecord, ref: string): string | undefined {
    if (isSha(ref)) return this.knowsCommit(repo.id, ref) ? ref.toLowerCase() : undefined;
    const branch = ref.replace(/^refs\/heads\//, '').replace(/^heads\//, '');
    const candidates: { at: number; sha: string }[] = [];
    for (const p of this.pullRequests.values()) {
      if (p.repoId !== repo.id) continue;
      if (p.head.ref === branch) candidates.push({ at: p.updatedAt, sha: p.head.sha });
      if (p.base.ref === branch) candidates.push({ at: p.createdAt, sha: p.base.sha });
    }
    for (const r of this.workflowRuns.values()) if (r.repoId === repo.id && r.headBranch === branch) candidates.push({ at: r.createdAt, sha: r.headSha });
    candidates.sort((a, b) => b.at - a.at);
    return candidates[0]?.sha;
  }
}

/** Keeps the most recently created check run of each (suite, name): GitHub's `filter=latest`. */
export function latestPerName(runs: CheckRunRecord[]): CheckRunRecord[] {
  const latest = new Map<string, CheckRunRecord>();
  for (const r of [...runs].sort((a, b) => a.id - b.id)) latest.set(`${r.suiteId}\u0000${r.name}`, r);
  return [...latest.values()];
}
