// Mode `steady`: Switchyard at a fixed delivery rate (default 1,000/s for 60 s, up to 256 keep-alive sockets).
//
// The rate is held by an open-loop sender (bench/lib/paced-child.mjs): request i is scheduled at
// start + i/rate regardless of earlier answers, and its latency is counted from that scheduled time
// (wrk2-style, no coordinated omission). While it runs, the harness samples event_receipts once a
// second (how many receipts exist, how many are not processed yet). Afterwards it waits for the
// backlog to drain and reports the processing lag, processed_at - received_at, over every processed
// receipt.
//
// Targets: p99 ≤ BENCH_STEADY_P99_TARGET_MS (25) and processing lag < BENCH_STEADY_LAG_TARGET_MS
// (1,000). BENCH_STEADY_TARGET=bare|probot|trivial runs the same load against another target
// (no database checks), e.g. to validate the client.
import fs from 'node:fs';
import { runPaced } from '../lib/load.mjs';
import { startTarget, stopTarget } from '../lib/targets.mjs';
import { openReceiptsDb, waitForDrain } from '../lib/switchyard-db.mjs';
import { groupRssMb } from '../lib/processes.mjs';
import { round, summarizeSamples } from '../lib/stats.mjs';
import { fmt, ms, table } from '../lib/report.mjs';

export const description = 'Switchyard at a fixed rate (default 1,000 deliveries/s for 60 s): p99 latency and processing lag';

export default async function steady(ctx) {
  const { cfg, fixture, log, runDir } = ctx;
  const targetName = process.env.BENCH_STEADY_TARGET || 'switchyard';
  const result = {
    mode: 'steady',
    settings: {
      target: targetName,
      client: 'bench/lib/paced-child.mjs: open loop, fixed schedule, latency from scheduled send time',
      rate: cfg.steadyRate,
      durationS: cfg.steadyDuration,
      warmupS: cfg.steadyWarmup,
      connections: cfg.steadyConnections,
      sampleIntervalS: cfg.sampleInterval,
      p99TargetMs: cfg.steadyP99TargetMs,
      lagTargetMs: cfg.steadyLagTargetMs,
      payload: { file: 'bench/fixtures/pull_request-21kb.json', bytes: fixture.bytes, sha256: fixture.sha256, event: 'pull_request.opened' },
    },
    skipped: null,
  };

  log(`starting ${targetName}`);
  const s = await startTarget(targetName, cfg, fixture, { runDir });
  if (!s.ok) {
    log(`${s.label} skipped: ${s.reason}`);
    for (const line of s.logTail.slice(-15)) log(`    ${line}`);
    result.skipped = { name: targetName, label: s.label, reason: s.reason, logTail: s.logTail.slice(-15) };
    return { result, markdown: markdown(result, ctx) };
  }
  const t = s.target;
  result.settings.targetLabel = t.label;
  log(`${targetName} ready on port ${t.port} (pid ${t.handle.pid})`);

  let db = null;
  const samples = [];
  let sampler = null;
  try {
    if (t.dbFile) {
      db = openReceiptsDb(t.dbFile);
      const t0 = Date.now();
      const sample = () => {
        try {
          const c = db.statusCounts();
          // The WAL's size: it only shrinks when a checkpoint catches up and the next writer restarts it.
          const walMb = fs.existsSync(`${t.dbFile}-wal`) ? round(fs.statSync(`${t.dbFile}-wal`).size / 1048576, 1) : null;
          samples.push({ t: round((Date.now() - t0) / 1000, 1), total: c.total, processed: c.processed, unprocessed: c.unprocessed, walMb });
        } catch (err) {
          samples.push({ t: round((Date.now() - t0) / 1000, 1), error: err.message });
        }
      };
      sample();
      sampler = setInterval(sample, cfg.sampleInterval * 1000);
    }

    log(`${fmt(cfg.steadyRate, 0)} deliveries/s for ${cfg.steadyDuration} s (after a ${cfg.steadyWarmup} s linear ramp-up from 0), ${cfg.steadyConnections} connections`);
    const run = await runPaced(t, {
      rate: cfg.steadyRate,
      duration: cfg.steadyDuration,
      warmup: cfg.steadyWarmup,
      connections: cfg.steadyConnections,
      timeout: cfg.requestTimeout,
      secret: cfg.webhookSecret,
      fixtureFile: fixture.file,
    });
    result.run = run;
    result.rssMbAtEnd = t.handle.exited ? null : groupRssMb(t.handle.pid);
    if (t.handle.exited) {
      result.exited = { code: t.handle.exitCode, signal: t.handle.exitSignal, logTail: t.handle.tail.slice(-15) };
      log(`${targetName} EXITED during the run`);
    }
    log(
      `sent ${run.scheduled} (${fmt(run.achievedSendRate, 1)}/s), 2xx ${run.ok2xx}, non-2xx ${run.non2xx}, errors ${run.errors}; latency p50 ${ms(run.latencyMs.p50)} / p99 ${ms(run.latencyMs.p99)} / max ${ms(run.latencyMs.max)} ms; send lag p99 ${ms(run.sendLagMs.p99)} ms; target CPU ${fmt(run.target?.cpuPct, 0)}%, client ${fmt(run.client.cpuPct, 0)}%, other processes ${fmt(run.machine?.othersPct, 0)}%`,
    );

    if (db) {
      if (sampler) clearInterval(sampler);
      sampler = null;
      const during = samples.filter((x) => !x.error);
      const drainStart = Date.now();
      const d = await waitForDrain(db, cfg.drainTimeout * 1000, { intervalMs: 100 });
      const { lags, unparsable } = db.processingLags();
      const stored = db.count();
      const status = db.statusCounts();
      const client2xx = t.probes2xx + run.ok2xx + run.warmupCounts.ok2xx;
      const unanswered = run.unanswered + (run.warmupCounts.sent - run.warmupCounts.completed);
      result.processing = {
        maxUnprocessedDuringRun: during.length ? Math.max(...during.map((x) => x.unprocessed)) : null,
        maxWalMbDuringRun: during.some((x) => x.walMb !== null) ? Math.max(...during.map((x) => x.walMb ?? 0)) : null,
        unprocessedAtEndOfLoad: during.length ? during[during.length - 1].unprocessed : null,
        drainedAfterLoad: d.drained,
        drainMs: Date.now() - drainStart,
        processed: status.processed,
        byStatus: status.byStatus,
        lagMs: summarizeSamples(lags),
        unparsableTimestamps: unparsable,
        samples,
      };
      result.verification = {
        stored,
        client2xx,
        unanswered,
        ok: stored >= client2xx && stored <= client2xx + unanswered,
        verdict:
          stored === client2xx
            ? 'stored == 2xx answers'
            : stored < client2xx
              ? `MISSING: ${client2xx - stored} deliveries answered 2xx are not stored`
              : stored <= client2xx + unanswered
                ? `stored exceeds 2xx answers by ${stored - client2xx}, within ${unanswered} unanswered requests`
                : `EXTRA: ${stored - client2xx - unanswered} receipts beyond 2xx answers + unanswered requests`,
      };
      log(
        `processing: max backlog ${result.processing.maxUnprocessedDuringRun}, max WAL ${result.processing.maxWalMbDuringRun} MB, drained ${d.drained ? 'yes' : 'NO'} ${fmt(result.processing.drainMs / 1000, 1)} s after the load, lag p50 ${ms(result.processing.lagMs.p50)} / p99 ${ms(result.processing.lagMs.p99)} / max ${ms(result.processing.lagMs.max)} ms; stored ${stored} vs 2xx ${client2xx}`,
      );
    }
  } finally {
    if (sampler) clearInterval(sampler);
    db?.close();
    await stopTarget(t, cfg);
  }

  const r = result.run;
  const p = result.processing;
  result.verdicts = {
    rateHeld: r ? r.ok2xx + r.non2xx >= 0.99 * r.scheduled && r.sendLagMs.p99 !== null && r.sendLagMs.p99 < 5 : false,
    p99WithinTarget: r ? r.latencyMs.p99 !== null && r.latencyMs.p99 <= cfg.steadyP99TargetMs && r.errors === 0 : false,
    allAccepted: r ? r.non2xx === 0 && r.errors === 0 : false,
    processingKeepsUp: p ? p.drainedAfterLoad && p.lagMs.max !== null && p.lagMs.max < cfg.steadyLagTargetMs : null,
    storedMatches: result.verification ? result.verification.ok : null,
  };
  return { result, markdown: markdown(result, ctx) };
}

function yesNo(v) {
  return v === null || v === undefined ? 'n/a' : v ? 'yes' : '**NO**';
}

function markdown(result, ctx) {
  const s = result.settings;
  const out = [];
  out.push(`## Steady rate: ${result.skipped?.label ?? s.targetLabel ?? s.target} at ${fmt(s.rate, 0)} deliveries/s for ${s.durationS} s (${s.connections} connections, open loop)`);
  out.push('');
  out.push(`Machine: ${ctx.machineLine}`);
  out.push('');
  if (result.skipped) {
    out.push(`**Skipped**: ${result.skipped.label} did not start: ${result.skipped.reason}`);
    return out.join('\n');
  }
  const r = result.run;
  const p = result.processing;
  const rows = [
    ['deliveries scheduled / answered 2xx', `${fmt(r.scheduled, 0)} / ${fmt(r.ok2xx, 0)}`],
    ['achieved send rate', `${fmt(r.achievedSendRate, 1)}/s (sender lateness p99 ${ms(r.sendLagMs.p99)} ms, max ${ms(r.sendLagMs.max)} ms)`],
    ['non-2xx / errors / timeouts', `${fmt(r.non2xx, 0)} / ${fmt(r.errors, 0)} / ${fmt(r.timeouts, 0)}`],
    ['status codes', JSON.stringify(r.statusCounts)],
    ['latency p50 / p90 / p99 / max (from schedule)', `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p90)} / ${ms(r.latencyMs.p99)} / ${ms(r.latencyMs.max)} ms`],
    [`p99 ≤ ${s.p99TargetMs} ms`, yesNo(result.verdicts.p99WithinTarget)],
    ['latency p99 from actual send', `${ms(r.latencyFromSendMs.p99)} ms`],
    ['CPU server / client / other processes', `${fmt(r.target?.cpuPct, 0)}% / ${fmt(r.client.cpuPct, 0)}% / ${fmt(r.machine?.othersPct, 0)}% of one core`],
  ];
  if (p) {
    rows.push(
      ['max unprocessed receipts seen during the run', fmt(p.maxUnprocessedDuringRun, 0)],
      ['backlog drained after the load', p.drainedAfterLoad ? `yes, ${fmt(p.drainMs / 1000, 1)} s after it stopped` : `**NO** (statuses ${JSON.stringify(p.byStatus)})`],
      ['processed receipts', fmt(p.processed, 0)],
      ['processing lag p50 / p99 / max (processed_at − received_at)', `${ms(p.lagMs.p50)} / ${ms(p.lagMs.p99)} / ${ms(p.lagMs.max)} ms`],
      [`processing keeps up (lag < ${fmt(s.lagTargetMs, 0)} ms)`, yesNo(result.verdicts.processingKeepsUp)],
      ['stored receipts vs 2xx answers', `${fmt(result.verification.stored, 0)} vs ${fmt(result.verification.client2xx, 0)}: ${result.verification.verdict}`],
    );
  }
  out.push(table(['measure', 'value'], rows));
  if (result.exited) out.push(`\n**The target exited during the run** (code ${result.exited.code}, signal ${result.exited.signal}).`);
  return out.join('\n');
}
