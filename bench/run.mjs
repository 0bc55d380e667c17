#!/usr/bin/env node
// Switchyard benchmark harness.
//
//   node bench/run.mjs            # every default mode: ingest, then steady
//   node bench/run.mjs ingest     # side by side: Probot no-op vs bare @octokit/webhooks vs Switchyard
//   node bench/run.mjs steady     # Switchyard at a fixed rate (default 1,000 deliveries/s for 60 s)
//   node bench/run.mjs --list     # the modes
//
// `npm run bench` builds Switchyard first. Settings come from BENCH_* environment variables (see
// bench/README.md). Each mode writes bench/results/<timestamp>-<mode>.json (and a .md with the same
// tables) and prints a Markdown summary.
//
// Adding a mode: create bench/modes/<name>.mjs exporting `description` and a default async function
// (ctx) => ({ result, markdown }), and add one line to MODES below.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from './lib/config.mjs';
import { loadFixture } from './lib/fixture.mjs';
import { describeMachine, machineLine } from './lib/machine.mjs';
import { killAllChildren, machineBusyCpuSeconds } from './lib/processes.mjs';
import { timestampForFile, writeResult } from './lib/report.mjs';

/** mode name → { load: () => module, default: run when no mode is named } */
export const MODES = {
  ingest: { load: () => import('./modes/ingest.mjs'), default: true },
  steady: { load: () => import('./modes/steady.mjs'), default: true },
  smoke: { load: () => import('./modes/smoke.mjs'), default: false },
};

function log(msg) {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${msg}\n`);
}

async function main(argv) {
  const args = argv.slice(2);
  if (args.includes('--help') || args.includes('-h') || args.includes('--list')) {
    console.log('usage: node bench/run.mjs [mode ...]\n\nmodes:');
    for (const [name, m] of Object.entries(MODES)) {
      const mod = await m.load();
      console.log(`  ${name.padEnd(8)} ${mod.description ?? ''}${m.default ? '' : ' (not run by default)'}`);
    }
    console.log('\nsettings: BENCH_* environment variables, see bench/README.md');
    return 0;
  }
  const unknown = args.filter((a) => !MODES[a]);
  if (unknown.length) {
    console.error(`unknown mode(s): ${unknown.join(', ')}; known: ${Object.keys(MODES).join(', ')}`);
    return 2;
  }
  const modes = args.length ? args : Object.keys(MODES).filter((m) => MODES[m].default);

  const cfg = loadConfig();
  const fixture = loadFixture(cfg.webhookSecret);
  const machine = describeMachine({ dataRoot: cfg.dataRoot });
  // How busy the machine is before we add anything: other people's tests skew every number.
  const b0 = machineBusyCpuSeconds();
  await new Promise((r) => setTimeout(r, 2000));
  const b1 = machineBusyCpuSeconds();
  if (b0 !== null && b1 !== null) machine.busyPctBeforeStart = Math.round(((b1 - b0) / 2) * 100);
  const mline = machineLine(machine);
  if (machine.busyPctBeforeStart > 20) {
    log(`WARNING: before starting, other processes already used ${machine.busyPctBeforeStart}% of a core; results will be noisy`);
  }
  log(`machine: ${mline}`);
  log(`payload: ${fixture.bytes} bytes (${path.relative(process.cwd(), fixture.file)}), modes: ${modes.join(', ')}`);

  const summaries = [];
  let failed = false;
  for (const mode of modes) {
    const startedAt = new Date();
    const runDir = path.join(cfg.resultsDir, 'tmp', `${timestampForFile(startedAt)}-${mode}`);
    fs.mkdirSync(runDir, { recursive: true });
    log(`=== mode ${mode} (target logs in ${path.relative(process.cwd(), runDir)}) ===`);
    try {
      const mod = await MODES[mode].load();
      const { result, markdown } = await mod.default({ cfg, fixture, machine, machineLine: mline, log, runDir, mode });
      const full = {
        mode,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        machine,
        config: cfg,
        ...result,
        markdown,
      };
      const file = writeResult(cfg.resultsDir, mode, full, markdown, startedAt);
      log(`results: ${path.relative(process.cwd(), file)}`);
      summaries.push(markdown);
      console.log(`\n${markdown}\n`);
    } catch (err) {
      failed = true;
      log(`mode ${mode} failed: ${err?.stack || err}`);
    }
  }
  if (summaries.length > 1) {
    console.log('\n# Summary\n');
    console.log(summaries.join('\n\n'));
  }
  return failed ? 1 : 0;
}

main(process.argv)
  .then((code) => {
    killAllChildren('SIGKILL');
    process.exitCode = code;
  })
  .catch((err) => {
    console.error(err);
    killAllChildren('SIGKILL');
    process.exitCode = 1;
  });
