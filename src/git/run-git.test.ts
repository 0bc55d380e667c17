import { describe, expect, it } from 'vitest';
import { createProgressParser, gitEnvironment } from './run-git.js';

describe('running git', () => {
  it('passes credentials only through the environment, scoped to the origin', () => {
    const env = gitEnvironment({ credential: { url: 'https://forge.example.com/a/b.git', username: 'u', password: 's3cret-token' }, lowSpeed: { limit: 1000, time: 60 } });
    const keys = Object.entries(env).filter(([k]) => k.startsWith('GIT_CONFIG_KEY_')).map(([, v]) => v);
    expect(keys).toContain('http.https://forge.example.com/.extraHeader');
    expect(keys).toContain('credential.helper');
    expect(keys).toContain('http.lowSpeedLimit');
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
    const header = Object.entries(env).find(([k, v]) => k.startsWith('GIT_CONFIG_VALUE_') && v.startsWith('Authorization'))?.[1];
    expect(header).toBe(`Authorization: Basic ${Buffer.from('u:s3cret-token').toString('base64')}`);
  });

  it('drops the parent process’s GIT_* variables', () => {
    process.env.GIT_DIR = '/elsewhere';
    try {
      expect(gitEnvironment({}).GIT_DIR).toBeUndefined();
    } finally {
      delete process.env.GIT_DIR;
    }
  });

  it('parses progress and bytes from git’s stderr, split anywhere', () => {
    const seen: string[] = [];
    const p = createProgressParser((x) => seen.push(`${x.phase} ${x.percent}`));
    p.push('Receiving objects:  50% (5/10)\rReceiving obj');
    p.push('ects: 100% (10/10), 1.50 MiB | 2.00 MiB/s, done.\nResolving deltas: 100% (3/3), done.\n');
    expect(seen).toEqual(['receiving objects 50', 'receiving objects 100', 'resolving deltas 100']);
    expect(p.bytes()).toBe(Math.round(1.5 * 1024 * 1024));
  });
});
