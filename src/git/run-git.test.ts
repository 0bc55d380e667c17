import { describe, expect, it } from 'vitest';
import { classifyGitError } from './classify-git-error.js';
import { createProgressParser, gitEnvironment, GitCommandFailed, runGit } from './run-git.js';

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

  it('reports a failure with git’s own words, without the credential', async () => {
    const err = await runGit({ git: 'git', args: ['ls-remote', 'http://127.0.0.1:1/nothing.git'], credential: { url: 'http://127.0.0.1:1', username: 'u', password: 'token-that-must-not-show' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitCommandFailed);
    expect(String((err as Error).message)).not.toContain('token-that-must-not-show');
    const f = classifyGitError(err, 'target', { place: 'the target', credential: 'its token' });
    expect(f.kind).toBe('transient');
    expect(f.code).toBe('MIRROR_TARGET_UNREACHABLE');
  });

  it('tells refused credentials from unreachable servers', () => {
    const fail = (stderr: string) => new GitCommandFailed('push', 128, stderr, '', false);
    const who = { place: 'OneDev at x', credential: 'the token of mirror target onedev' };
    expect(classifyGitError(fail("fatal: Authentication failed for 'http://x/'"), 'target', who)).toMatchObject({ kind: 'auth', code: 'MIRROR_TARGET_AUTH_FAILED' });
    expect(classifyGitError(fail('fatal: could not read Username for \'http://x\': terminal prompts disabled'), 'source', who)).toMatchObject({ kind: 'auth', code: 'MIRROR_SOURCE_AUTH_FAILED' });
    expect(classifyGitError(fail('error: RPC failed; HTTP 503 curl 22 The requested URL returned error: 503'), 'target', who)).toMatchObject({ kind: 'transient' });
    expect(classifyGitError(fail('fatal: unable to access: The requested URL returned error: 403'), 'target', who)).toMatchObject({ kind: 'permission' });
    expect(classifyGitError(fail(' ! [remote rejected] main -> main (pre-receive hook declined)'), 'target', who)).toMatchObject({ code: 'MIRROR_TARGET_REJECTED' });
    expect(classifyGitError(fail(' ! [rejected] main -> main (stale info)'), 'target', who)).toMatchObject({ kind: 'transient', code: 'MIRROR_TARGET_CONFLICT' });
    expect(classifyGitError(new GitCommandFailed('fetch', null, '', '', true), 'source', who)).toMatchObject({ code: 'MIRROR_TIMEOUT' });
    expect(classifyGitError(fail("fatal: Authentication failed for 'http://x/'"), 'target', who).message).toContain('the token of mirror target onedev');
  });
});
