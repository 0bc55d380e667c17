/**
 * Gathers what GitHub knows about a failed check run: its output, its annotations, and for GitHub
 * Actions the job's log (`GET …/actions/jobs/{job_id}/logs` answers 302 to a short-lived URL; the
 * log is streamed to a gzipped file under the data dir, up to a size cap) and the log of the latest
 * successful run of the same job on the base branch, to compare against.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createGzip } from 'node:zlib';
import type { GitHubClient } from '../../github/index.js';
import type { CheckAnnotation, CheckOutput } from './analyzer/index.js';

/** Logs larger than this are cut (the end of a log is where failures are: the tail is kept). */
export const LOG_MAX_BYTES = 64 * 1024 * 1024;
const ACTIONS_SLUGS = new Set(['github-actions']);

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface CheckRunFacts {
  id: number;
  name: string;
  headSha: string;
  status: string;
  conclusion: string | null;
  appSlug: string | null;
  output: CheckOutput;
  completedAt: string | null;
}

export interface SavedLog {
  path: string;
  bytes: number;
  truncated: boolean;
}

export async function fetchCheckRun(gh: GitHubClient, r: RepoRef, checkRunId: number): Promise<CheckRunFacts> {
  const { data } = await gh.request('GET /repos/{owner}/{repo}/check-runs/{check_run_id}', { ...r, check_run_id: checkRunId });
  return {
    id: Number(data.id),
    name: data.name,
    headSha: data.head_sha,
    status: data.status,
    conclusion: data.conclusion ?? null,
    appSlug: data.app?.slug ?? null,
    output: { title: data.output?.title ?? null, summary: data.output?.summary ?? null, text: data.output?.text ?? null },
    completedAt: data.completed_at ?? null,
  };
}

export async function fetchAnnotations(gh: GitHubClient, r: RepoRef, checkRunId: number): Promise<CheckAnnotation[]> {
  const list = await gh.paginate('GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations', { ...r, check_run_id: checkRunId, per_page: 100 });
  return list.slice(0, 500).map((a) => ({ path: a.path, start_line: a.start_line, message: a.message ?? '', annotation_level: a.annotation_level ?? 'failure' }));
}

export function isActions(appSlug: string | null): boolean {
  return appSlug !== null && ACTIONS_SLUGS.has(appSlug);
}

/**
 * Downloads a GitHub Actions job's log to `file` (gzipped), keeping at most LOG_MAX_BYTES: when the
 * log is larger, its first part is dropped (the failure is at the end). Null when GitHub has no log.
 */
export async function downloadJobLog(gh: GitHubClient, r: RepoRef, jobId: number, file: string, maxBytes = LOG_MAX_BYTES): Promise<SavedLog | null> {
  // The link is short-lived: an expired one (403 from the blob store) gets one fresh link.
  for (let attempt = 1; ; attempt++) {
    const got = await downloadOnce(gh, r, jobId, file, maxBytes);
    if (got !== 'expired') return got;
    if (attempt >= 2) throw new Error('the log link expired twice in a row');
  }
}

async function downloadOnce(gh: GitHubClient, r: RepoRef, jobId: number, file: string, maxBytes: number): Promise<SavedLog | null | 'expired'> {
  let location: string | undefined;
  try {
    const res = await gh.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs', { ...r, job_id: jobId, request: { redirect: 'manual' } });
    location = (res.headers as Record<string, string | undefined>).location ?? (typeof res.url === 'string' && res.url.includes('/logs') ? undefined : res.url);
    if (!location && typeof res.data === 'string') {
      // Some servers answer with the log itself.
      fs.mkdirSync(path.dirname(file), { recursive: true });
      return writeTail(Readable.from([Buffer.from(res.data)]), file, maxBytes);
    }
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 404 || status === 410) return null;
    throw err;
  }
  if (!location) return null;
  // The URL is pre-signed: no credentials go with it.
  const res = await fetch(location);
  if (res.status === 403) return 'expired';
  if (res.status === 404 || res.status === 410) return null;
  if (!res.ok || !res.body) throw new Error(`log download answered ${res.status}`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return writeTail(Readable.fromWeb(res.body as WebReadableStream), file, maxBytes);
}

/**
 * Streams a log into a gzip file. Up to `maxBytes` it is written as it comes; past that, only a
 * rolling window of the last `maxBytes` is kept in memory-bounded chunks and written at the end.
 */
async function writeTail(source: Readable, file: string, maxBytes: number): Promise<SavedLog> {
  let total = 0;
  const head: Buffer[] = [];
  let headBytes = 0;
  const tail: Buffer[] = [];
  let tailBytes = 0;
  for await (const chunk of source) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    total += buf.length;
    if (headBytes < maxBytes) {
      head.push(buf);
      headBytes += buf.length;
      continue;
    }
    tail.push(buf);
    tailBytes += buf.length;
    // Drop the oldest: keep about maxBytes overall.
    while (headBytes + tailBytes > maxBytes && head.length > 0) headBytes -= head.shift()!.length;
    while (tailBytes > maxBytes && tail.length > 1) tailBytes -= tail.shift()!.length;
  }
  const truncated = total > headBytes + tailBytes;
  const parts = truncated ? [Buffer.from(`[switchyard: the first ${total - headBytes - tailBytes} bytes of this ${total}-byte log were dropped]\n`), ...head, ...tail] : [...head, ...tail];
  await pipeline(Readable.from(parts), createGzip(), fs.createWriteStream(file));
  return { path: file, bytes: total, truncated };
}

/** The latest successful run of the same job on the base branch, as a job id (null when none). */
export async function findPassingJob(gh: GitHubClient, r: RepoRef, failingJobId: number, baseBranch: string): Promise<number | null> {
  const { data: job } = await gh.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', { ...r, job_id: failingJobId });
  const { data: runs } = await gh.request('GET /repos/{owner}/{repo}/actions/runs', { ...r, branch: baseBranch, status: 'success', per_page: 20 });
  const failingRun = await gh.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', { ...r, run_id: Number(job.run_id) });
  const sameWorkflow = runs.workflow_runs.filter((w) => w.workflow_id === failingRun.data.workflow_id && Number(w.id) !== Number(job.run_id));
  for (const run of sameWorkflow.slice(0, 3)) {
    const { data: jobs } = await gh.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', { ...r, run_id: Number(run.id), per_page: 100 });
    const match = jobs.jobs.find((j) => j.name === job.name && j.conclusion === 'success');
    if (match) return Number(match.id);
  }
  return null;
}

/** The workflow run a GitHub Actions job belongs to. */
export async function workflowRunOfJob(gh: GitHubClient, r: RepoRef, jobId: number): Promise<number> {
  const { data } = await gh.request('GET /repos/{owner}/{repo}/actions/jobs/{job_id}', { ...r, job_id: jobId });
  return Number(data.run_id);
}
