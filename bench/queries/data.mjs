// The synthetic data set for the "queries at scale" benchmark: repositories, installations,
// event receipts (ids are UUIDv7 for their own received_at), pull requests with state history
// and check runs. Everything comes from one seeded PRNG, so both databases get the same rows.
import { v7 } from 'uuid';

const DAY = 86_400_000;

/** mulberry32: small, fast, seedable; good enough for picking test data. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const u32 = () => Math.floor(next() * 4294967296) >>> 0;
  const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = (arr) => arr[Math.floor(next() * arr.length)];
  return { next, u32, int, pick };
}

/** Picks an index from weights (cumulative table + binary search). */
export function weightedPicker(weights, rnd) {
  const cum = new Float64Array(weights.length);
  let s = 0;
  for (let i = 0; i < weights.length; i++) cum[i] = s += weights[i];
  return () => {
    const x = rnd.next() * s;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/**
 * UUIDv7 for a given time, through the `uuid` package's v7({ msecs, seq, random }). Monotonic
 * when called with non-decreasing times: within one millisecond the 32-bit counter goes up by
 * one; a new millisecond starts it at a random 30-bit value (room to count up without overflow).
 */
export function v7Factory(rnd) {
  let lastMs = -1;
  let seq = 0;
  const random = new Uint8Array(16);
  return (msecs) => {
    const ms = Math.floor(msecs);
    if (ms === lastMs) seq += 1;
    else seq = rnd.u32() >>> 2;
    lastMs = ms;
    for (let i = 0; i < 16; i += 4) {
      const r = rnd.u32();
      random[i] = r & 0xff;
      random[i + 1] = (r >>> 8) & 0xff;
      random[i + 2] = (r >>> 16) & 0xff;
      random[i + 3] = r >>> 24;
    }
    return v7({ msecs: ms, seq, random });
  };
}

/** A random v4-shaped UUID (GitHub delivery ids are GUIDs). */
function v4From(rnd) {
  const h = (n) => n.toString(16).padStart(8, '0');
  const a = h(rnd.u32());
  const b = h(rnd.u32());
  const c = h(rnd.u32());
  const d = h(rnd.u32());
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0], 16) & 3) | 8).toString(16)}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

const iso = (ms) => new Date(ms).toISOString();

/** Event type / action mix, weights in percent-ish (installation events carry no repository). */
export const EVENT_MIX = [
  ['pull_request', 'opened', 5],
  ['pull_request', 'synchronize', 10],
  ['pull_request', 'closed', 4],
  ['pull_request', 'labeled', 1],
  ['pull_request_review', 'submitted', 3],
  ['check_run', 'created', 10],
  ['check_run', 'completed', 20],
  ['check_suite', 'completed', 4],
  ['push', null, 12],
  ['issues', 'opened', 3],
  ['issue_comment', 'created', 5],
  ['workflow_job', 'queued', 5],
  ['workflow_job', 'in_progress', 5],
  ['workflow_job', 'completed', 5],
  ['workflow_run', 'completed', 3],
  ['star', 'created', 2],
  ['installation', 'created', 0.05],
  ['installation_repositories', 'added', 0.05],
];

const STATUS_MIX = [
  ['processed', 97.3],
  ['failed', 2],
  ['dead', 0.7],
];

const ERRORS = [
  'GitHub API 502 Bad Gateway while fetching pull request',
  'automation "label-sync" threw: Cannot read properties of undefined (reading \'name\')',
  'timeout after 30000 ms calling https://api.github.com/repos/…/check-runs',
  'GitHub API 403: secondary rate limit',
];

const LANGS = ['TypeScript', 'Go', 'Python', 'Rust', 'Java', 'Ruby', null];
const WORDS = ['api', 'web', 'billing', 'auth', 'search', 'infra', 'docs', 'mobile', 'worker', 'gateway', 'ledger', 'cli', 'sdk', 'ui', 'data'];
const CHECK_NAMES = ['build', 'test', 'lint', 'typecheck', 'e2e', 'deploy-preview'];
const CONCLUSIONS = [
  ['success', 80],
  ['failure', 10],
  ['skipped', 4],
  ['neutral', 2],
  ['cancelled', 2],
  ['timed_out', 1],
  ['action_required', 1],
];

/**
 * Builds the model (installations, repositories with weights and pull request counts) and
 * returns generators for the bulk tables. `now` anchors the 30-day window of receipts.
 */
export function buildDataset({ receipts, pulls, checkRuns = pulls * 5, repositories = Math.max(1, Math.min(1000, pulls)), installations = 50, days = 30, seed = 20261125, now = Date.now() }) {
  const rnd = prng(seed);
  const windowStart = now - days * DAY;
  const newIdAt = v7Factory(prng(seed ^ 0x5eed)); // for rows created out of time order
  const shaPool = Array.from({ length: 1 << 16 }, () => Array.from({ length: 5 }, () => rnd.u32().toString(16).padStart(8, '0')).join(''));
  const sha = () => shaPool[rnd.u32() & 0xffff];
  const actors = Array.from({ length: 2000 }, (_, i) => `dev-${i.toString(36)}`);
  const actorPick = weightedPicker(actors.map((_, i) => 1 / (i + 1) ** 0.7), rnd);
  const actor = () => actors[actorPick()];

  // Installations: a few big organisations, a long tail of small ones (Zipf over 50).
  const inst = Array.from({ length: installations }, (_, i) => ({
    id: null,
    githubId: 40_000_000 + i * 7919,
    login: `org-${i + 1}`,
    createdAt: windowStart - rnd.int(60, 700) * DAY,
  }));
  for (const i of inst) i.id = newIdAt(i.createdAt);
  const instPick = weightedPicker(inst.map((_, i) => 1 / (i + 1)), rnd);

  // Repositories: event volume is Zipf (s = 1) over a random order, so some repositories get a
  // large share of all events (the biggest ~13%), most get a few hundred.
  const repos = [];
  const names = new Set();
  for (let i = 0; i < repositories; i++) {
    const installation = inst[instPick()];
    let name;
    do name = `${rnd.pick(WORDS)}-${rnd.pick(WORDS)}-${rnd.int(1, 999)}`;
    while (names.has(`${installation.login}/${name}`));
    names.add(`${installation.login}/${name}`);
    const createdAt = windowStart - rnd.int(1, 365) * DAY - rnd.int(0, DAY);
    repos.push({
      id: newIdAt(createdAt),
      githubId: 500_000_000 + i * 104_729,
      owner: installation.login,
      name,
      fullName: `${installation.login}/${name}`,
      installation,
      language: rnd.pick(LANGS),
      createdAt,
      weight: 0,
      prCount: 0,
      eventCount: 0,
      lastEventAt: null,
      lastSha: null,
      sampleIds: [], // a few receipt ids of this repository (cursors for deep pages)
    });
  }
  const order = repos.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rnd.int(0, i);
    [order[i], order[j]] = [order[j], order[i]];
  }
  order.forEach((repoIdx, rank) => (repos[repoIdx].weight = 1 / (rank + 1)));
  const totalWeight = repos.reduce((s, r) => s + r.weight, 0);
  for (const r of repos) r.weight /= totalWeight;
  const repoPick = weightedPicker(repos.map((r) => r.weight), rnd);

  // Pull requests per repository, proportional to the same weights (at least one each).
  let assigned = 0;
  for (const r of repos) {
    r.prCount = Math.max(1, Math.floor(r.weight * pulls));
    assigned += r.prCount;
  }
  for (let i = 0; assigned < pulls; i = (i + 1) % repos.length, assigned++) repos[order[i]].prCount++;
  for (let i = repos.length - 1; assigned > pulls; i = (i - 1 + repos.length) % repos.length) {
    if (repos[order[i]].prCount > 1) {
      repos[order[i]].prCount--;
      assigned--;
    }
  }

  const typePick = weightedPicker(EVENT_MIX.map((m) => m[2]), rnd);
  const statusPick = weightedPicker(STATUS_MIX.map((m) => m[1]), rnd);
  const conclusionPick = weightedPicker(CONCLUSIONS.map((m) => m[1]), rnd);

  /**
   * Receipts in received_at order (so ids are generated monotonically), as arrays in
   * EVENT_COLUMNS order, `batchSize` at a time. Fills repo.eventCount / lastEventAt / sampleIds
   * and `model.cursorIds` (ids between 10% and 90% of the log) as it goes.
   */
  const EVENT_COLUMNS = [
    'id', 'delivery_id', 'source', 'event_type', 'event_action', 'installation_id', 'repository_id', 'actor',
    'target_object_ids', 'github_timestamp', 'received_at', 'headers', 'raw_payload', 'payload_storage', 'payload_size',
    'processing_status', 'retry_count', 'max_retries', 'next_attempt_at', 'processed_at', 'error_message', 'created_at', 'updated_at',
  ];
  const cursorIds = [];
  function* events(batchSize) {
    const erand = prng(seed ^ 0xe7e7);
    const times = new Float64Array(receipts);
    for (let i = 0; i < receipts; i++) times[i] = windowStart + erand.next() * (now - windowStart);
    times.sort();
    const eventIdAt = v7Factory(prng(seed ^ 0x1d1d));
    const cursorEvery = Math.max(1, Math.floor(receipts / 1250));
    let batch = [];
    for (let i = 0; i < receipts; i++) {
      const at = Math.floor(times[i]);
      const id = eventIdAt(at);
      if (i > receipts * 0.1 && i < receipts * 0.9 && i % cursorEvery === 0) cursorIds.push(id);
      const [type, action] = EVENT_MIX[typePick()];
      const hasRepo = type !== 'installation' && type !== 'installation_repositories';
      const repo = hasRepo ? repos[repoPick()] : null;
      const installation = repo ? repo.installation : inst[instPick()];
      if (repo) {
        repo.eventCount++;
        repo.lastEventAt = at;
        // reservoir of 8 ids per repository
        if (repo.sampleIds.length < 8) repo.sampleIds.push(id);
        else if (erand.next() < 8 / repo.eventCount) repo.sampleIds[erand.int(0, 7)] = id;
      }
      const who = actor();
      const ids = {};
      const head = sha();
      const num = repo ? erand.int(1, repo.prCount) : 0;
      switch (type) {
        case 'pull_request':
        case 'pull_request_review':
          ids.pull_request = num;
          if (type === 'pull_request_review') ids.review = 2_000_000_000 + i;
          ids.head_sha = head;
          break;
        case 'check_run':
        case 'check_suite':
        case 'workflow_job':
        case 'workflow_run':
          ids[type] = 3_000_000_000 + i;
          ids.head_sha = head;
          break;
        case 'push':
          ids.head_sha = head;
          ids.ref = 'refs/heads/main';
          if (repo) repo.lastSha = head;
          break;
        case 'issues':
          ids.issue = num;
          break;
        case 'issue_comment':
          ids.issue = num;
          ids.comment = 4_000_000_000 + i;
          break;
        default:
          break;
      }
      const recent = now - at < 2 * 60_000; // the worker is still on the last couple of minutes
      const status = recent ? (erand.next() < 0.5 ? 'received' : 'processed') : STATUS_MIX[statusPick()][0];
      const payload = Buffer.from(
        JSON.stringify({
          action: action ?? undefined,
          installation: { id: installation.githubId },
          repository: repo ? { id: repo.githubId, full_name: repo.fullName } : undefined,
          sender: { login: who },
          ...ids,
          note: 'synthetic payload; size is not realistic',
        }).padEnd(200, ' '),
      );
      const githubTs = type === 'star' ? null : iso(at - erand.int(200, 3000));
      const processedAt = status === 'processed' ? iso(at + erand.int(20, 800)) : null;
      const failed = status === 'failed' || status === 'dead';
      batch.push([
        id,
        v4From(erand),
        'github',
        type,
        action,
        installation.githubId,
        repo ? repo.id : null,
        who,
        JSON.stringify(ids),
        githubTs,
        iso(at),
        '{}',
        payload,
        null,
        payload.length,
        status,
        status === 'dead' ? 5 : status === 'failed' ? erand.int(1, 4) : 0,
        5,
        status === 'failed' ? iso(at + erand.int(1, 30) * 60_000) : null,
        processedAt,
        failed ? ERRORS[erand.int(0, ERRORS.length - 1)] : null,
        iso(at),
        processedAt ?? iso(at),
      ]);
      if (batch.length === batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  /** Pull requests with their state history and check runs, one repository at a time. */
  const PR_COLUMNS = [
    'id', 'repository_id', 'github_id', 'number', 'title', 'state', 'is_draft', 'author', 'head_sha', 'head_ref', 'base_ref',
    'html_url', 'merged_at', 'closed_at', 'github_created_at', 'github_updated_at', 'last_checked_at', 'created_at', 'updated_at',
  ];
  const HISTORY_COLUMNS = ['id', 'pull_request_id', 'from_state', 'to_state', 'trigger', 'delivery_id', 'actor', 'occurred_at', 'created_at'];
  const CHECK_COLUMNS = [
    'id', 'repository_id', 'github_id', 'check_suite_github_id', 'pull_request_id', 'name', 'head_sha', 'status', 'conclusion',
    'started_at', 'completed_at', 'details_url', 'html_url', 'app_slug', 'output_title', 'output_summary', 'created_at', 'updated_at',
  ];
  function* pullRequests(batchSize) {
    const prand = prng(seed ^ 0x9a9a);
    const idAt = v7Factory(prng(seed ^ 0x2b2b));
    let prGithubId = 900_000_000;
    let checkGithubId = 7_000_000_000;
    let out = { prs: [], history: [], checks: [] };
    for (const repo of repos) {
      const created = Array.from({ length: repo.prCount }, () => now - prand.next() * 365 * DAY).sort((a, b) => a - b);
      for (let n = 0; n < repo.prCount; n++) {
        const createdAt = Math.floor(created[n]);
        const young = now - createdAt < days * DAY;
        const x = prand.next();
        const state = young ? (x < 0.6 ? 'open' : x < 0.9 ? 'merged' : 'closed') : x < 0.08 ? 'open' : x < 0.83 ? 'merged' : 'closed';
        const endAt = Math.min(now - 1000, createdAt + prand.int(10 * 60_000, 10 * DAY));
        const updatedAt = state === 'open' ? Math.min(now - 1000, createdAt + prand.int(60_000, 3 * DAY)) : endAt;
        const prId = idAt(createdAt);
        const author = actor();
        const head = sha();
        out.prs.push([
          prId,
          repo.id,
          prGithubId++,
          n + 1,
          `${prand.pick(['Fix', 'Add', 'Refactor', 'Bump', 'Remove', 'Speed up'])} ${prand.pick(WORDS)} ${prand.pick(WORDS)} (#${n + 1})`,
          state,
          state === 'open' && prand.next() < 0.15 ? 1 : 0,
          author,
          head,
          `${author}/${prand.pick(WORDS)}-${n + 1}`,
          'main',
          `https://github.com/${repo.fullName}/pull/${n + 1}`,
          state === 'merged' ? iso(endAt) : null,
          state !== 'open' ? iso(endAt) : null,
          iso(createdAt),
          iso(updatedAt),
          prand.next() < 0.3 ? iso(updatedAt + 5000) : null,
          iso(createdAt),
          iso(updatedAt),
        ]);
        const hist = (from, to, trigger, at) => out.history.push([idAt(at), prId, from, to, trigger, v4From(prand), actor(), iso(at), iso(at)]);
        hist(null, 'open', 'pull_request.opened', createdAt);
        if (state === 'open' && prand.next() < 0.15) {
          const closedAt = createdAt + Math.floor((updatedAt - createdAt) / 3);
          hist('open', 'closed', 'pull_request.closed', closedAt);
          hist('closed', 'open', 'pull_request.reopened', closedAt + Math.floor((updatedAt - createdAt) / 3));
        } else if (state !== 'open') {
          hist('open', state, 'pull_request.closed', endAt);
        }
        // Uniform 0..2×mean runs per pull request: checkRuns in all, on average.
        const runs = prand.int(0, Math.max(1, Math.round((2 * checkRuns) / pulls)));
        const suite = 6_000_000_000 + prGithubId * 4;
        for (let c = 0; c < runs; c++) {
          const startedAt = createdAt + Math.floor(prand.next() * Math.max(1, updatedAt - createdAt));
          const done = state !== 'open' || prand.next() < 0.95;
          const conclusion = done ? CONCLUSIONS[conclusionPick()][0] : null;
          const completedAt = done ? startedAt + prand.int(20_000, 20 * 60_000) : null;
          const ghId = checkGithubId++;
          out.checks.push([
            idAt(startedAt),
            repo.id,
            ghId,
            suite,
            prId,
            CHECK_NAMES[c % CHECK_NAMES.length],
            c < CHECK_NAMES.length || prand.next() < 0.75 ? head : sha(),
            done ? 'completed' : prand.next() < 0.5 ? 'in_progress' : 'queued',
            conclusion,
            iso(startedAt),
            completedAt ? iso(completedAt) : null,
            `https://ci.example.com/runs/${ghId}`,
            `https://github.com/${repo.fullName}/runs/${ghId}`,
            'github-actions',
            conclusion ? `${CHECK_NAMES[c % CHECK_NAMES.length]}: ${conclusion}` : null,
            conclusion === 'failure' ? '3 tests failed' : null,
            iso(startedAt),
            iso(completedAt ?? startedAt),
          ]);
        }
        if (out.prs.length >= batchSize) {
          yield out;
          out = { prs: [], history: [], checks: [] };
        }
      }
    }
    if (out.prs.length) yield out;
  }

  const REPO_COLUMNS = [
    'id', 'github_id', 'owner', 'name', 'full_name', 'installation_id', 'default_branch', 'language', 'description', 'html_url',
    'is_private', 'is_archived', 'is_fork', 'is_deleted', 'size_kb', 'stargazers_count', 'watchers_count', 'last_event_at',
    'event_count', 'status', 'failure_count', 'last_polled_at', 'last_commit_sha', 'pushed_at', 'github_updated_at', 'created_at', 'updated_at',
  ];
  /** Repository rows (event_count 0: the counters come from repositoryCounters() after the receipts). */
  const repositoryRows = () =>
    repos.map((r, i) => [
      r.id, r.githubId, r.owner, r.name, r.fullName, r.installation.githubId, 'main', r.language, `The ${r.name} service`,
      `https://github.com/${r.fullName}`, i % 3 === 0 ? 1 : 0, 0, 0, 0, 1000 + i * 37, i % 97, i % 13,
      null, 0, 'active', 0, null, null, null, iso(r.createdAt), iso(r.createdAt), iso(r.createdAt),
    ]);
  /** [event_count, last_event_at, last_commit_sha, pushed_at, updated_at, id] per repository, after events(). */
  const repositoryCounters = () =>
    repos.map((r) => {
      const last = r.lastEventAt === null ? null : iso(r.lastEventAt);
      return [r.eventCount, last, r.lastSha, last, last ?? iso(r.createdAt), r.id];
    });
  const INSTALLATION_COLUMNS = ['id', 'github_id', 'account_login', 'account_id', 'account_type', 'target_type', 'repository_selection', 'permissions', 'events', 'status', 'created_at', 'updated_at'];
  const installationRows = () =>
    inst.map((i) => [i.id, i.githubId, i.login, i.githubId + 1, 'Organization', 'Organization', 'selected', '{"pull_requests":"write","checks":"read"}', '["pull_request","check_run","push"]', 'active', iso(i.createdAt), iso(i.createdAt)]);
  const INSTALLATION_REPO_COLUMNS = ['installation_id', 'repository_id', 'created_at'];
  const installationRepoRows = () => repos.map((r) => [r.installation.id, r.id, iso(r.createdAt)]);

  return {
    now,
    windowStart,
    repos,
    installations: inst,
    cursorIds,
    eventMix: EVENT_MIX,
    tables: {
      installations: { columns: INSTALLATION_COLUMNS, rows: installationRows },
      repositories: { columns: REPO_COLUMNS, rows: repositoryRows },
      installation_repositories: { columns: INSTALLATION_REPO_COLUMNS, rows: installationRepoRows },
      event_receipts: { columns: EVENT_COLUMNS, batches: events },
      pull_requests: { columns: PR_COLUMNS },
      pr_state_history: { columns: HISTORY_COLUMNS },
      check_runs: { columns: CHECK_COLUMNS },
    },
    pullRequests,
    repositoryCounters,
  };
}
