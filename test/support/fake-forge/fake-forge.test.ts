/**
 * The fake forges' own tests: they answer as their API descriptions say (and the Gitea fake
 * catches a request or response of the wrong shape), and their git servers authenticate like the
 * real ones.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGitea, FakeGitLab, FakeOneDev, giteaSpecNotice } from './index.js';
import { findGiteaOperation, giteaResponseProblems } from './gitea-swagger.js';

const notice = giteaSpecNotice();
if (notice) console.warn(notice);

const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** Runs `git ls-remote` (asynchronously: the fake answers in this process) with an Authorization header. */
async function lsRemote(url: string, authorization?: string): Promise<{ ok: boolean; stderr: string }> {
  try {
    await promisify(execFile)('git', [...(authorization ? ['-c', `http.extraHeader=Authorization: ${authorization}`] : []), 'ls-remote', url], { env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    return { ok: true, stderr: '' };
  } catch (err) {
    return { ok: false, stderr: String((err as { stderr?: string }).stderr ?? '') };
  }
}

describe('fake OneDev', () => {
  let od: FakeOneDev;
  const api = (p: string, init: RequestInit = {}) => fetch(`${od.url}/~api${p}`, { ...init, headers: { authorization: 'Bearer tok-admin', 'content-type': 'application/json', ...(init.headers ?? {}) } });
  beforeAll(async () => {
    od = await FakeOneDev.start();
    od.addToken('tok-admin');
    od.addToken('tok-reader', { admin: false, write: false });
  });
  afterAll(() => od.close());

  it('creates projects with a bare number, finds them by path, and gives clone URLs', async () => {
    const res = await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'team', gitPackConfig: {}, codeAnalysisSetting: {} }) });
    expect(res.status).toBe(200);
    const id = (await res.json()) as number;
    expect(typeof id).toBe('number');
    const child = (await (await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'repo', parentId: id, gitPackConfig: {}, codeAnalysisSetting: {} }) })).json()) as number;
    expect(await (await api('/projects/ids/team/repo')).json()).toBe(child);
    expect(await (await api(`/projects/${child}/clone-url`)).json()).toMatchObject({ http: `${od.url}/team/repo.git` });
    const missing = await api('/projects/ids/team/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toMatch(/text\/plain/);
  });

  it('answers like OneDev to what it refuses', async () => {
    expect((await api('/projects/ids/team?x=1')).status).toBe(406);
    const noPaging = await api('/projects');
    expect(noPaging.status).toBe(406);
    expect(await noPaging.text()).toMatch(/Missing query params: \[offset, count\]/);
    expect((await api('/projects?offset=0&count=101', { headers: { authorization: 'Bearer tok-reader' } })).status).toBe(406);
    const dup = await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'team', gitPackConfig: {}, codeAnalysisSetting: {} }) });
    expect(dup.status).toBe(500);
    expect(await dup.text()).toBe("Name 'team' is already used by another root project");
    const before = od.problems.length;
    expect((await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'bare' }) })).status).toBe(400);
    expect(od.problems.length).toBe(before + 1);
    od.problems.length = 0;
    expect((await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'x', gitPackConfig: {}, codeAnalysisSetting: {}, bogus: 1 }) })).status).toBe(400);
    expect((await api('/projects', { method: 'POST', body: JSON.stringify({ name: '-bad', gitPackConfig: {}, codeAnalysisSetting: {} }) })).status).toBe(400);
    expect((await api('/projects', { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' })).status).toBe(401);
    expect((await api('/projects', { method: 'POST', headers: { authorization: 'Bearer tok-reader' }, body: JSON.stringify({ name: 'y', gitPackConfig: {}, codeAnalysisSetting: {} }) })).status).toBe(403);
  });

  it('serves git with the token as Basic password or user name, and refuses the rest', async () => {
    const url = `${od.url}/team/repo.git`;
    expect((await lsRemote(url)).ok).toBe(false);
    expect((await lsRemote(url, basic('anyone', 'tok-admin'))).ok).toBe(true);
    expect((await lsRemote(url, basic('tok-admin', ''))).ok).toBe(true);
    expect((await lsRemote(url, basic('anyone', 'wrong'))).stderr).toMatch(/401|Authentication|could not read Username/);
  });
});

describe('fake Gitea (checked against Gitea’s Swagger description)', () => {
  let gt: FakeGitea;
  const api = (p: string, init: RequestInit = {}) => fetch(`${gt.url}/api/v1${p}`, { ...init, headers: { authorization: 'token tok-g', 'content-type': 'application/json', ...(init.headers ?? {}) } });
  beforeAll(async () => {
    gt = await FakeGitea.start();
    gt.addUser('bot', 'tok-g');
    gt.addOrg('org', ['bot']);
  });
  afterAll(() => gt.close());

  it('creates under an organization or the user, and every answer fits the description', async () => {
    const res = await api('/orgs/org/repos', { method: 'POST', body: JSON.stringify({ name: 'r1', private: true }) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ full_name: 'org/r1', private: true, clone_url: `${gt.url}/org/r1.git` });
    expect((await api('/user/repos', { method: 'POST', body: JSON.stringify({ name: 'mine' }) })).status).toBe(201);
    expect((await api('/orgs/org/repos', { method: 'POST', body: JSON.stringify({ name: 'r1' }) })).status).toBe(409);
    expect((await api('/repos/org/r1')).status).toBe(200);
    expect((await api('/repos/org/r1', { method: 'PATCH', body: JSON.stringify({ archived: true }) })).status).toBe(200);
    expect((await api('/orgs/nope')).status).toBe(404);
    expect((await api('/user', { headers: { authorization: 'token wrong' } })).status).toBe(401);
    gt.assertValid();
    if (!notice) expect(gt.validatedResponses).toBeGreaterThanOrEqual(6);
  });

  it.skipIf(notice !== null)('catches a request body the description rejects', async () => {
    const res = await api('/user/repos', { method: 'POST', body: JSON.stringify({ private: 'yes' }) });
    expect(res.status).toBe(422);
    expect(gt.problems.join('\n')).toMatch(/createCurrentUserRepo request body: .*name/);
    gt.problems.length = 0;
  });

  it.skipIf(notice !== null)('catches a response of the wrong shape or with an unlisted status', () => {
    const op = findGiteaOperation('GET', '/repos/org/r1');
    expect(op?.operationId).toBe('repoGet');
    expect(giteaResponseProblems(op, 200, { id: 'not a number', name: 5 })).toEqual([expect.stringMatching(/repoGet 200 response: \/id must be integer/)]);
    expect(giteaResponseProblems(op, 201, {})).toEqual([expect.stringMatching(/status 201 is not listed/)]);
    expect(findGiteaOperation('POST', '/orgs/org/repos')?.operationId).toBe('createOrgRepo');
    expect(findGiteaOperation('POST', '/user/repos')?.operationId).toBe('createCurrentUserRepo');
  });

  it('serves git to the token in the Basic password, whatever the user name', async () => {
    expect((await lsRemote(`${gt.url}/org/r1.git`, basic('whoever', 'tok-g'))).ok).toBe(true);
    expect((await lsRemote(`${gt.url}/org/r1.git`, basic('bot', 'nope'))).ok).toBe(false);
  });
});

describe('fake GitLab', () => {
  let gl: FakeGitLab;
  const api = (p: string, init: RequestInit = {}) => fetch(`${gl.url}/api/v4${p}`, { ...init, headers: { 'private-token': 'tok-l', 'content-type': 'application/json', ...(init.headers ?? {}) } });
  beforeAll(async () => {
    gl = await FakeGitLab.start();
    gl.addGroup('grp');
    gl.addToken('tok-l', ['grp']);
  });
  afterAll(() => gl.close());

  it('looks up by encoded path, creates in a namespace by id, refuses duplicates', async () => {
    const ns = (await (await api('/namespaces/grp')).json()) as { id: number };
    expect((await api('/projects/grp%2Fp')).status).toBe(404);
    const created = await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'p', path: 'p', namespace_id: ns.id, visibility: 'private' }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ path_with_namespace: 'grp/p', http_url_to_repo: `${gl.url}/grp/p.git`, visibility: 'private', default_branch: null });
    expect((await api('/projects/grp%2Fp')).status).toBe(200);
    const dup = await api('/projects', { method: 'POST', body: JSON.stringify({ name: 'p', namespace_id: ns.id }) });
    expect(dup.status).toBe(400);
    expect(await dup.json()).toEqual({ message: { name: ['has already been taken'], path: ['has already been taken'] } });
    expect(await (await api('/projects/grp%2Fp', { headers: { 'private-token': 'bad' } })).json()).toEqual({ message: '401 Unauthorized' });
    gl.assertValid();
  });

  it('records a create without name or path as a problem', async () => {
    expect((await api('/projects', { method: 'POST', body: JSON.stringify({ namespace_id: 1 }) })).status).toBe(400);
    expect(gl.problems).toEqual(['GitLab POST /projects without name or path']);
    gl.problems.length = 0;
  });

  it('takes the token as the Basic password for git', async () => {
    expect((await lsRemote(`${gl.url}/grp/p.git`, basic('oauth2', 'tok-l'))).ok).toBe(true);
    expect((await lsRemote(`${gl.url}/grp/p.git`, basic('oauth2', 'nope'))).stderr).toMatch(/401|Access denied|Authentication|could not read Username/);
  });
});
