// Mode `ingest`: closed-loop throughput and latency, side by side, alternating rounds.
//
//   (a) Probot 14 no-op app   (b) bare @octokit/webhooks receiver   (c) Switchyard on SQLite
//
// Same client (autocannon, own process, BENCH_CONNECTIONS connections, default 32), same ~21 KB
// signed pull_request delivery with a fresh X-GitHub-Delivery per request. All targets are started
// first and stay up; each gets a warm-up, then rounds alternate a, b, c. After a Switchyard run the
// harness waits until its backlog is processed, so its background work does not eat into the next
// target's round. At the end the receipts Switchyard stored are counted and compared with the 2xx
// answers the client got.
import { setTimeout as sleep } from 'node:timers/promises';
import { runAutocannon } from '../lib/load.mjs';
import { startTarget, stopTarget } from '../lib/targets.mjs';
import { openReceiptsDb, waitForDrain } from '../lib/switchyard-db.mjs';
import { groupRssMb } from '../lib/processes.mjs';
import { concatSamples, decodeSamples, median, round, summarizeSamples } from '../lib/stats.mjs';
import { fmt, ms, table } from '../lib/report.mjs';

export const description = 'side-by-side closed-loop throughput/latency: Probot no-op vs bare @octokit/webhooks vs Switchyard (SQLite)';

function stripSamples(r) {
  const { latencySamplesB64: _drop, ...rest } = r;
  return rest;
}

function runSummaryLine(r) {
  return `${fmt(r.reqPerSec, 0)} req/s, p50 ${ms(r.latencyMs.p50)} / p99 ${ms(r.latencyMs.p99)} / max ${ms(r.latencyMs.max)} ms, non-2xx ${r.non2xx}, errors ${r.errors}, target CPU ${fmt(r.target?.cpuPct, 0)}%, client ${fmt(r.client.cpuPct, 0)}%, other processes ${fmt(r.machine?.othersPct, 0)}%`;
}

function aggregate(runs) {
  const durationS = runs.reduce((s, r) => s + r.durationS, 0);
  const responses = runs.reduce((s, r) => s + r.responses, 0);
  const ok2xx = runs.reduce((s, r) => s + r.ok2xx, 0);
  const statusCounts = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statusCounts)) statusCounts[k] = (statusCounts[k] || 0) + v;
  const samples = concatSamples(runs.map((r) => decodeSamples(r.latencySamplesB64)));
  return {
    rounds: runs.length,
    durationS: round(durationS),
    sent: runs.reduce((s, r) => s + r.sent, 0),
    responses,
    ok2xx,
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    timeouts: runs.reduce((s, r) => s + r.timeouts, 0),
    statusCounts,
    reqPerSec: round(responses / durationS, 1),
    okPerSec: round(ok2xx / durationS, 1),
    reqPerSecByRound: runs.map((r) => round(r.reqPerSec, 1)),
    reqPerSecMedian: round(median(runs.map((r) => r.reqPerSec)), 1),
    latencyMs: summarizeSamples(samples),
    p99ByRound: runs.map((r) => r.latencyMs.p99),
    clientCpuPct: round(median(runs.map((r) => r.client.cpuPct)), 1),
    targetCpuPct: round(median(runs.map((r) => r.target?.cpuPct ?? NaN)), 1),
    othersCpuPct: round(median(runs.map((r) => r.machine?.othersPct ?? NaN)), 1),
    othersCpuPctMax: round(Math.max(...runs.map((r) => r.machine?.othersPct ?? 0)), 1),
  };
}

export default async function ingest(ctx) {
  const { cfg, fixture, log, runDir } = ctx;
  const loadOpts = { connections: cfg.connections, timeout: cfg.requestTimeout, secret: cfg.webhookSecret, fixtureFile: fixture.file };
  const result = {
    mode: 'ingest',
    settings: {
      client: 'autocannon (separate process), closed loop',
      connections: cfg.connections,
      durationS: cfg.duration,
      rounds: cfg.rounds,
      warmupS: cfg.warmup,
      cooldownS: cfg.cooldown,
      order: cfg.targets,
      payload: { file: 'bench/fixtures/pull_request-21kb.json', bytes: fixture.bytes, sha256: fixture.sha256, event: 'pull_request.opened' },
    },
    calibration: null,
    targets: {},
    skipped: [],
    notes: [],
  };
  const live = [];

  try {
    // 0. Client ceiling: the same client against a server that does nothing.
    if (cfg.calibrate) {
      log('calibration: starting trivial target');
      const s = await startTarget('trivial', cfg, fixture, { runDir });
      if (s.ok) {
        try {
          if (cfg.warmup > 0) await runAutocannon(s.target, { ...loadOpts, duration: Math.min(cfg.warmup, 2), title: 'calibration warm-up', returnSamples: false });
          const r = await runAutocannon(s.target, { ...loadOpts, duration: cfg.duration, title: 'calibration' });
          result.calibration = { target: s.target.describe, ...stripSamples(r) };
          log(`calibration: ${runSummaryLine(r)}`);
        } finally {
          await stopTarget(s.target, cfg);
        }
      } else {
        log(`calibration skipped: ${s.reason}`);
      }
    }

    // 1. Start every target and warm it up.
    for (const name of cfg.targets) {
      log(`starting ${name}`);
      const s = await startTarget(name, cfg, fixture, { runDir });
      if (!s.ok) {
        const msg = `${s.label} skipped: ${s.reason}`;
        log(msg);
        for (const line of s.logTail.slice(-15)) log(`    ${line}`);
        result.skipped.push({ name, label: s.label, reason: s.reason, logTail: s.logTail.slice(-15) });
        continue;
      }
      const t = s.target;
      t.runs = [];
      t.warmupRuns = [];
      t.drains = [];
      live.push(t);
      log(`${name} ready on port ${t.port} (pid ${t.handle.pid}; probe answered ${t.probeAnswer.status} ${t.probeAnswer.body.trim()})`);
    }
    if (live.length === 0) throw new Error('no target could be started');

    const drainIfNeeded = async (t) => {
      if (!t.dbFile) return;
      let db;
      try {
        db = openReceiptsDb(t.dbFile);
        const d = await waitForDrain(db, cfg.drainTimeout * 1000);
        t.drains.push({ drained: d.drained, waitedMs: d.waitedMs, status: d.status });
        if (!d.drained) log(`  ${t.name}: ${d.status.unprocessed} receipts still unprocessed after ${cfg.drainTimeout} s (${JSON.stringify(d.status.byStatus)})`);
        else if (d.waitedMs > 500) log(`  ${t.name}: backlog processed ${fmt(d.waitedMs / 1000, 1)} s after the run`);
      } catch (err) {
        t.drains.push({ error: err.message });
        log(`  ${t.name}: could not read its database: ${err.message}`);
      } finally {
        db?.close();
      }
    };

    if (cfg.warmup > 0) {
      for (const t of live) {
        log(`warm-up ${t.name} (${cfg.warmup} s)`);
        const r = await runAutocannon(t, { ...loadOpts, duration: cfg.warmup, title: `${t.name} warm-up`, returnSamples: false });
        t.warmupRuns.push(r);
        await drainIfNeeded(t);
      }
    }

    // 2. Alternating rounds.
    for (let round_ = 1; round_ <= cfg.rounds; round_++) {
      for (const t of live) {
        if (t.handle.exited) continue;
        if (cfg.cooldown > 0) await sleep(cfg.cooldown * 1000);
        const r = await runAutocannon(t, { ...loadOpts, duration: cfg.duration, title: `${t.name} round ${round_}` });
        r.round = round_;
        t.runs.push(r);
        log(`round ${round_}/${cfg.rounds} ${t.name.padEnd(10)} ${runSummaryLine(r)}`);
        if (t.handle.exited) {
          log(`  ${t.name} EXITED during the run (code ${t.handle.exitCode}, signal ${t.handle.exitSignal})`);
          for (const line of t.handle.tail.slice(-15)) log(`    ${line}`);
          result.notes.push(`${t.label} exited during round ${round_}`);
        }
        await drainIfNeeded(t);
      }
    }

    // 3. Aggregate, and check Switchyard's stored receipts.
    for (const t of live) {
      const agg = t.runs.length ? aggregate(t.runs) : null;
      const entry = {
        label: t.label,
        describe: t.describe,
        aggregate: agg,
        runs: t.runs.map(stripSamples),
        warmup: t.warmupRuns.map(stripSamples),
        rssMbAtEnd: t.handle.exited ? null : groupRssMb(t.handle.pid),
        exited: t.handle.exited ? { code: t.handle.exitCode, signal: t.handle.exitSignal } : null,
      };
      if (t.dbFile) {
        entry.drains = t.drains;
        entry.verification = verifyStored(t);
      }
      result.targets[t.name] = entry;
    }
  } finally {
    for (const t of live) await stopTarget(t, cfg);
  }

  result.summary = summarize(result, cfg);
  return { result, markdown: markdown(result, ctx) };
}

function verifyStored(t) {
  const allRuns = [...t.warmupRuns, ...t.runs];
  const client2xx = t.probes2xx + allRuns.reduce((s, r) => s + r.ok2xx, 0);
  const clientNon2xx = allRuns.reduce((s, r) => s + r.non2xx, 0);
  // Requests sent but never answered (in flight when a run stopped, or timed out): the server may or
  // may not have stored them, so the stored count may exceed the 2xx count by at most this much.
  const unanswered = allRuns.reduce((s, r) => s + Math.max(0, r.sent - r.responses), 0);
  const v = { client2xx, clientNon2xx, unanswered, probes: t.probes2xx };
  let db;
  try {
    db = openReceiptsDb(t.dbFile);
    v.stored = db.count();
    const status = db.statusCounts();
    v.byStatus = status.byStatus;
    v.processed = status.processed;
    const { lags, unparsable } = db.processingLags();
    v.processingLagMs = summarizeSamples(lags);
    v.unparsableTimestamps = unparsable;
  } catch (err) {
    v.error = err.message;
    return v;
  } finally {
    db?.close();
  }
  v.missing = Math.max(0, client2xx - v.stored); // answered 2xx but not stored: durability bug
  v.extra = v.stored - client2xx; // stored without a 2xx the client saw
  v.ok = v.stored >= client2xx && v.stored <= client2xx + unanswered;
  v.verdict = v.ok
    ? v.stored === client2xx
      ? 'stored == 2xx answers'
      : `stored exceeds 2xx answers by ${v.extra}, within the ${unanswered} requests left unanswered when runs stopped`
    : v.stored < client2xx
      ? `MISSING: ${client2xx - v.stored} deliveries answered 2xx are not stored`
      : `EXTRA: ${v.extra} receipts more than 2xx answers + unanswered requests (${unanswered})`;
  return v;
}

function summarize(result, cfg) {
  const a = (n) => result.targets[n]?.aggregate;
  const sy = a('switchyard');
  const pr = a('probot');
  const bare = a('bare');
  const ratio = (x, y) => (x && y && y.okPerSec > 0 ? round(x.okPerSec / y.okPerSec, 2) : null);
  const cal = result.calibration;
  const clientBound = {};
  for (const [name, t] of Object.entries(result.targets)) {
    const g = t.aggregate;
    if (!g) continue;
    const reasons = [];
    if (cal && g.reqPerSec >= 0.8 * cal.reqPerSec) reasons.push(`reaches ${Math.round((100 * g.reqPerSec) / cal.reqPerSec)}% of the client ceiling`);
    if (g.clientCpuPct >= 90) reasons.push(`client at ${g.clientCpuPct}% CPU`);
    clientBound[name] = reasons.length ? reasons.join('; ') : null;
  }
  return {
    switchyardOverProbot: ratio(sy, pr),
    switchyardOverBare: ratio(sy, bare),
    baseOverProbot: ratio(a('switchyard-base'), pr),
    p99Ms: Object.fromEntries(Object.entries(result.targets).map(([n, t]) => [n, t.aggregate?.latencyMs.p99 ?? null])),
    clientCeilingReqPerSec: cal ? round(cal.reqPerSec, 1) : null,
    clientBound,
    switchyardStoredCheck: result.targets.switchyard?.verification?.verdict ?? (result.skipped.find((s) => s.name === 'switchyard') ? 'skipped: Switchyard did not start' : null),
    connections: cfg.connections,
  };
}

function markdown(result, ctx) {
  const { machineLine } = ctx;
  const s = result.settings;
  const out = [];
  out.push(`## Ingest: side by side (${s.rounds} × ${s.durationS} s per target, ${s.connections} connections, ${fmt(s.payload.bytes, 0)}-byte pull_request)`);
  out.push('');
  out.push(`Machine: ${machineLine}`);
  out.push('');
  const rows = [];
  for (const t of Object.values(result.targets)) {
    const g = t.aggregate;
    if (!g) continue;
    rows.push([
      t.label,
      fmt(g.okPerSec, 0),
      g.reqPerSecByRound.map((v) => fmt(v, 0)).join(' / '),
      ms(g.latencyMs.p50),
      ms(g.latencyMs.p90),
      ms(g.latencyMs.p99),
      ms(g.latencyMs.max),
      fmt(g.non2xx, 0),
      fmt(g.errors, 0),
      `${fmt(g.targetCpuPct, 0)}% / ${fmt(g.clientCpuPct, 0)}% / ${fmt(g.othersCpuPct, 0)}%`,
    ]);
  }
  if (result.calibration) {
    const c = result.calibration;
    rows.push([
      '_client ceiling (trivial server)_',
      fmt(c.okPerSec, 0),
      fmt(c.reqPerSec, 0),
      ms(c.latencyMs.p50),
      ms(c.latencyMs.p90),
      ms(c.latencyMs.p99),
      ms(c.latencyMs.max),
      fmt(c.non2xx, 0),
      fmt(c.errors, 0),
      `${fmt(c.target?.cpuPct, 0)}% / ${fmt(c.client.cpuPct, 0)}% / ${fmt(c.machine?.othersPct, 0)}%`,
    ]);
  }
  out.push(
    table(
      ['target', '2xx/s (all rounds)', 'req/s by round', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'CPU server / client / others'],
      rows,
    ),
  );
  out.push('');
  const sm = result.summary;
  const ratioRows = [];
  if (sm.switchyardOverProbot !== null) ratioRows.push(['Switchyard / Probot (2xx/s)', `${fmt(sm.switchyardOverProbot, 2)}×`]);
  if (sm.baseOverProbot !== null) ratioRows.push(['Switchyard base build / Probot (2xx/s)', `${fmt(sm.baseOverProbot, 2)}×`]);
  if (sm.switchyardOverBare !== null) ratioRows.push(['Switchyard / bare (2xx/s)', `${fmt(sm.switchyardOverBare, 2)}×`]);
  for (const [n, p] of Object.entries(sm.p99Ms)) ratioRows.push([`p99 ${result.targets[n].label}`, `${ms(p)} ms`]);
  if (ratioRows.length) {
    out.push(table(['comparison', 'value'], ratioRows));
    out.push('');
  }
  const v = result.targets.switchyard?.verification;
  if (v) {
    out.push(
      `Switchyard stored receipts: **${v.stored ?? '?'}** in event_receipts vs **${v.client2xx}** 2xx answers (incl. ${v.probes} readiness probe and the warm-up), ${v.unanswered} requests unanswered when runs stopped → ${v.error ? `error: ${v.error}` : v.verdict}. Processed: ${v.processed ?? '?'}; statuses ${JSON.stringify(v.byStatus ?? {})}; processing lag p50 ${ms(v.processingLagMs?.p50)} / p99 ${ms(v.processingLagMs?.p99)} / max ${ms(v.processingLagMs?.max)} ms.`,
    );
    const codes = result.targets.switchyard.aggregate?.statusCounts;
    if (codes) out.push(`Switchyard status codes in the measured rounds: ${JSON.stringify(codes)} (expected: all 202).`);
    out.push('');
  }
  for (const sk of result.skipped) out.push(`**${sk.label} skipped**: ${sk.reason}`);
  for (const [n, why] of Object.entries(sm.clientBound)) if (why) out.push(`Possibly client-bound: ${result.targets[n].label}: ${why}.`);
  for (const t of Object.values(result.targets)) {
    const g = t.aggregate;
    if (g && g.othersCpuPctMax > 25) out.push(`Noisy: other processes used up to ${fmt(g.othersCpuPctMax, 0)}% of a core during ${t.label}'s rounds; compare with care.`);
  }
  for (const note of result.notes) out.push(`Note: ${note}`);
  return out.join('\n').trimEnd();
}
