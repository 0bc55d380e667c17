// Runs a load generator in its own process (so the client shares a process with nothing else) and
// returns its summary, plus how much CPU the target's process group used meanwhile.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { groupCpuSeconds, machineBusyCpuSeconds } from './processes.mjs';
import { round } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
let autocannonVersion = '';
try {
  autocannonVersion = require('autocannon/package.json').version;
} catch {
  /* unknown */
}

function runChild(script, job, { timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(here, script), [JSON.stringify(job)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
      detached: true,
    });
    let result;
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(new Error(`${script} did not finish within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    const onExit = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    process.once('exit', onExit);
    child.on('message', (m) => {
      result = m;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('exit', onExit);
      if (result) resolve(result);
      else reject(new Error(`${script} exited (code ${code}, signal ${signal}) without a result`));
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Wraps a load run with CPU accounting for the target process group. */
async function withTargetCpu(target, fn) {
  const pgid = target?.handle?.pid;
  const cpuBefore = pgid ? groupCpuSeconds(pgid) : null;
  const machineBefore = machineBusyCpuSeconds();
  const t0 = Date.now();
  const result = await fn();
  const wallS = (Date.now() - t0) / 1000;
  const cpuAfter = pgid ? groupCpuSeconds(pgid) : null;
  const machineAfter = machineBusyCpuSeconds();
  let targetCpuS = 0;
  if (cpuBefore !== null && cpuAfter !== null) {
    targetCpuS = cpuAfter - cpuBefore;
    result.target = { cpuS: round(targetCpuS), wallS: round(wallS), cpuPct: round((100 * targetCpuS) / wallS, 1) };
  }
  if (machineBefore !== null && machineAfter !== null) {
    // Everything else running on the machine meanwhile (other people's tests, ...), in % of one core.
    const busyS = machineAfter - machineBefore;
    const othersS = Math.max(0, busyS - targetCpuS - (result.client?.cpuS ?? 0));
    result.machine = { busyPct: round((100 * busyS) / wallS, 1), othersPct: round((100 * othersS) / wallS, 1) };
  }
  return result;
}

/** Closed loop: `connections` connections, each sends its next request when the last one is answered. */
export function runAutocannon(target, { duration, connections, timeout, secret, fixtureFile, title, returnSamples = true }) {
  const job = { port: target.port, duration, connections, timeout, secret, fixtureFile, title, returnSamples, autocannonVersion };
  return withTargetCpu(target, () => runChild('autocannon-child.mjs', job, { timeoutMs: (duration + timeout + 30) * 1000 }));
}

/** Open loop at a fixed rate (see paced-child.mjs for how the rate is held). */
export function runPaced(target, { rate, duration, warmup, connections, timeout, secret, fixtureFile }) {
  const job = { port: target.port, rate, duration, warmup, connections, timeout, secret, fixtureFile };
  return withTargetCpu(target, () => runChild('paced-child.mjs', job, { timeoutMs: (duration + warmup + timeout + 30) * 1000 }));
}
