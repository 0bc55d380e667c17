// Mode `smoke` (not run by default): does Switchyard start and answer as the benchmark expects?
// A fresh signed delivery → 202; the same X-GitHub-Delivery again → 200 {"status":"duplicate"};
// a bad signature → 401; then exactly one receipt is stored. Takes a few seconds; handy before a
// long run, or while the server is still being written.
import crypto from 'node:crypto';
import { startTarget, stopTarget } from '../lib/targets.mjs';
import { sendDelivery } from '../lib/http.mjs';
import { openReceiptsDb, waitForDrain } from '../lib/switchyard-db.mjs';
import { table } from '../lib/report.mjs';

export const description = 'quick check that Switchyard starts and answers 202 / duplicate 200 / bad signature 401, and stores the receipt';

export default async function smoke(ctx) {
  const { cfg, fixture, log, runDir } = ctx;
  const targetName = process.env.BENCH_SMOKE_TARGET || 'switchyard';
  const result = { mode: 'smoke', target: targetName, checks: [], skipped: null };
  const s = await startTarget(targetName, cfg, fixture, { runDir });
  if (!s.ok) {
    log(`${s.label} did not start: ${s.reason}`);
    for (const line of s.logTail.slice(-15)) log(`    ${line}`);
    result.skipped = { reason: s.reason, logTail: s.logTail.slice(-15) };
    return { result, markdown: `## Smoke: ${s.label}\n\n**Did not start**: ${s.reason}` };
  }
  const t = s.target;
  const check = (name, ok, detail) => {
    result.checks.push({ name, ok, detail });
    log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${detail}`);
  };
  try {
    const id = crypto.randomUUID();
    const a = await sendDelivery(t.port, fixture, { deliveryId: id });
    check('fresh delivery → 202', a.status === 202, `HTTP ${a.status} ${String(a.body ?? a.error).slice(0, 160)}`);
    const b = await sendDelivery(t.port, fixture, { deliveryId: id });
    let dup = false;
    try {
      dup = JSON.parse(b.body).status === 'duplicate';
    } catch {
      /* not JSON */
    }
    check('same delivery id again → 200 duplicate', b.status === 200 && dup, `HTTP ${b.status} ${String(b.body ?? b.error).slice(0, 160)}`);
    const c = await sendDelivery(t.port, fixture, { headers: { 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` } });
    check('bad signature → 401', c.status === 401, `HTTP ${c.status} ${String(c.body ?? c.error).slice(0, 160)}`);
    if (t.dbFile) {
      const db = openReceiptsDb(t.dbFile);
      try {
        const expected = t.probes2xx + 1;
        const n = db.count();
        check('stored receipts', n === expected, `${n} in event_receipts, expected ${expected} (readiness probe + 1)`);
        const d = await waitForDrain(db, 10000, { intervalMs: 100 });
        check('receipts processed', d.drained, `${JSON.stringify(d.status.byStatus)} after ${d.waitedMs} ms`);
      } finally {
        db.close();
      }
    }
  } finally {
    await stopTarget(t, cfg);
  }
  const md = [`## Smoke: ${t.label}`, '', table(['check', 'result', 'detail'], result.checks.map((c) => [c.name, c.ok ? 'ok' : '**FAIL**', c.detail.replace(/\|/g, '\\|')]), ['l', 'l', 'l'])];
  return { result, markdown: md.join('\n') };
}
