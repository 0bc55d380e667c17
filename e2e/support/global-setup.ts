/**
 * Before the browser tests: find Chromium (Debian's, at /usr/bin/chromium — `npx playwright install`
 * cannot download one here) and make sure the dashboard is built and not older than its sources
 * (`vite build` when it is). Without Chromium the browser tests are skipped with a notice, except
 * under CI=true, where that fails the run (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

export default function setup(): void {
  const found = fs.existsSync(CHROMIUM);
  if (!found) {
    const message = `Chromium was not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`;
    if (process.env.CI === 'true') throw new Error(message);
    process.stderr.write(`\n*** NOTICE: ${message}\n*** The dashboard's browser tests are SKIPPED.\n\n`);
  }
  process.env.SWITCHYARD_E2E_CHROMIUM = found ? CHROMIUM : '';
  if (!found) return;

  const index = 'dist/web/index.html';
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  const sources = Math.max(newestMtime('web/src'), fs.statSync('web/index.html').mtimeMs, fs.statSync('web/vite.config.ts').mtimeMs);
  if (built < sources) {
    process.stderr.write(built ? '*** The dashboard build is older than web/: rebuilding it.\n' : '*** The dashboard is not built: building it.\n');
    execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
  }
}
