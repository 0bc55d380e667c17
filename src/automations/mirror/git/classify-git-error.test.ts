import { describe, expect, it } from 'vitest';
import { GitCommandFailed, runGit } from '../../../git/index.js';
import { classifyGitError } from './classify-git-error.js';

describe('classifying git failures', () => {
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
