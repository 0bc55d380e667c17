// Real example deliveries (@octokit/webhooks-examples, api.github.com) rewritten per repository:
// every example that carries a repository becomes `repos` deliveries, one per repository
// (bench-org/repo-<i>, its own id), each with the `installation` a GitHub App delivery carries,
// signed with `secret`. Compact JSON, as GitHub sends it.
//
// The objects that belong to a repository (its pull requests, issues, comments, reviews, check
// suites and runs, workflows, their runs and jobs) get ids of their own per repository too: GitHub's
// ids are global, so one check suite never arrives from two repositories. (Until 2026-12-08 they
// kept the example's ids, so 50 repositories shared each check suite and workflow run, and
// PostgreSQL batches processing different repositories deadlocked on those shared rows.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Event types sent (the common ones of a busy installation). */
const EVENTS = ['pull_request', 'issues', 'issue_comment', 'push', 'check_run', 'check_suite', 'workflow_run', 'workflow_job', 'pull_request_review', 'status'];

/** Keys whose object (or array of objects) belongs to the delivery's repository. */
const PER_REPOSITORY = new Set(['pull_request', 'pull_requests', 'issue', 'comment', 'review', 'check_suite', 'check_run', 'workflow_run', 'workflow_job', 'workflow']);
/** Id fields that point at such an object. */
const PER_REPOSITORY_REFS = ['run_id', 'check_suite_id', 'workflow_id'];
const ID_STRIDE = 100_000_000_000; // above every example id; 50 repositories stay far below 2^53

/** Gives every per-repository object in the payload an id of repository `r`'s own. */
function ownIds(value, r, inside = false) {
  if (Array.isArray(value)) {
    for (const v of value) ownIds(v, r, inside);
    return;
  }
  if (!value || typeof value !== 'object') return;
  if (inside && typeof value.id === 'number') value.id += r * ID_STRIDE;
  if (inside) for (const k of PER_REPOSITORY_REFS) if (typeof value[k] === 'number') value[k] += r * ID_STRIDE;
  for (const [k, v] of Object.entries(value)) {
    if (k === 'repository' || k === 'installation' || k === 'sender' || k === 'organization') continue;
    ownIds(v, r, PER_REPOSITORY.has(k));
  }
}

export function exampleDeliveries(secret, { repos = 50, installationId = 2311213 } = {}) {
  const all = JSON.parse(fs.readFileSync(require.resolve('@octokit/webhooks-examples'), 'utf8'));
  const templates = [];
  for (const group of all) {
    if (!EVENTS.includes(group.name)) continue;
    for (const ex of group.examples) {
      if (ex.repository && typeof ex.repository === 'object') templates.push({ event: group.name, payload: ex });
    }
  }
  const out = [];
  for (let r = 0; r < repos; r++) {
    for (const t of templates) {
      const p = JSON.parse(JSON.stringify(t.payload));
      p.repository.id = 900_000_000 + r;
      p.repository.node_id = `R_bench${r}`;
      p.repository.name = `repo-${r}`;
      p.repository.full_name = `bench-org/repo-${r}`;
      if (p.repository.owner) p.repository.owner.login = 'bench-org';
      ownIds(p, r);
      p.installation = { id: installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMjMxMTIxMw==' };
      const body = Buffer.from(JSON.stringify(p));
      out.push({ event: t.event, body, signature: `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}` });
    }
  }
  // Interleave repositories and events (a busy installation's deliveries arrive mixed).
  let seed = 18;
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return { deliveries: out, templates: templates.length, meanBytes: Math.round(out.reduce((s, d) => s + d.body.length, 0) / out.length) };
}
