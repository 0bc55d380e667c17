/**
 * The agents' sandbox contains what a hostile repository's commands try: reaching the network,
 * writing outside the worktree, reading Switchyard's environment, a fork bomb, an endless loop and
 * a huge file. Runs only where bubblewrap works (CI installs it); says so otherwise.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSandbox, runSandboxed } from '../src/automations/agents/sandbox.js';

const available = describeSandbox('bwrap').ok;
if (!available) console.warn(`NOTICE: ${describeSandbox('bwrap').message}; sandbox tests skipped`);

describe.skipIf(!available)('the agents’ sandbox (bubblewrap)', () => {
  let dir: string;
  let outside: string;
  let server: http.Server;
  let port = 0;
  let hits = 0;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-work-'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sandbox-outside-'));
    server = http.createServer((_req, res) => {
      hits += 1;
      res.end('reached');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const run = (command: string, limits = {}) => runSandboxed({ kind: 'bwrap', workDir: dir, command, limits: { wallMs: 20_000, ...limits } });

  it('runs a command in the worktree as an unprivileged user, with node', async () => {
    const r = await run('id -u; echo hello > made.txt; cat made.txt; node -e "console.log(1 + 1)"');
    expect(r.exitCode).toBe(0);
    expect(r.output.split('\n')).toEqual(['65534', 'hello', '2', '']);
    expect(fs.readFileSync(path.join(dir, 'made.txt'), 'utf8')).toBe('hello\n');
  });

  it('has no network: a server on the host’s loopback is not reached', async () => {
    const r = await run(`node -e "fetch('http://127.0.0.1:${port}/').then(() => console.log('REACHED'), (e) => console.log('refused', e.cause && e.cause.code))"`);
    expect(r.output).toContain('refused');
    expect(r.output).not.toContain('REACHED');
    expect(hits).toBe(0);
  });

  it('cannot write outside the worktree (system read-only, other dirs absent)', async () => {
    const r = await run(`echo x > /usr/evil 2>&1; echo y > ${outside}/evil 2>&1; echo z > /etc/evil 2>&1; ls /root 2>&1; true`);
    expect(r.output).toMatch(/Read-only file system/);
    expect(fs.existsSync(path.join(outside, 'evil'))).toBe(false);
    expect(fs.existsSync('/usr/evil')).toBe(false);
    expect(fs.existsSync('/etc/evil')).toBe(false);
  });

  it('sees a clean environment: none of Switchyard’s variables', async () => {
    process.env.SANDBOX_TEST_SECRET = 'sk-live-should-never-be-seen';
    try {
      const r = await run('env');
      expect(r.output).not.toContain('sk-live-should-never-be-seen');
      expect(r.output).not.toMatch(/SWITCHYARD_|DATABASE_URL|PRIVATE_KEY/);
    } finally {
      delete process.env.SANDBOX_TEST_SECRET;
    }
  });

  it('contains a fork bomb (process limit) and the host carries on', async () => {
    const r = await run('bomb() { bomb | bomb & }; bomb; sleep 2; echo survived', { processes: 64, wallMs: 15_000 });
    expect(r.timedOut, 'stopped by the process limit, not the wall clock').toBe(false);
    expect(r.output).toMatch(/Cannot fork|Resource temporarily unavailable/);
    const after = await run('echo fine');
    expect(after.output).toBe('fine\n');
  });

  it('kills an endless loop at the wall clock, with everything it started', async () => {
    const r = await run('sleep 300 & while true; do :; done', { wallMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('stops a huge file at the file-size limit', async () => {
    const r = await run('head -c 50000000 /dev/zero > big.bin; echo "exit $?"', { fileBytes: 1024 * 1024 });
    expect(fs.statSync(path.join(dir, 'big.bin')).size).toBeLessThanOrEqual(1024 * 1024);
    expect(r.output).not.toContain('exit 0');
  });
});
