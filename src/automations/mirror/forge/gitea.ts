/**
 * Gitea and Forgejo (REST `/api/v1`, described by ../shared/api-specs/gitea-swagger.v1.json):
 * `GET /repos/{owner}/{repo}` (repoGet); when missing, `POST /orgs/{org}/repos` (createOrgRepo)
 * if the namespace is an organization (`GET /orgs/{org}`, orgGet), else `POST /user/repos`
 * (createCurrentUserRepo) if it is the token's own user (`GET /user`, userGetCurrent). Rename and
 * archive are `PATCH /repos/{owner}/{repo}` (repoEdit), delete is repoDelete.
 *
 * The namespace (an organization or the token's user) is required. The token goes as
 * `Authorization: token …` to the API and as the password of HTTP Basic to git (Gitea takes the
 * token from the password and ignores the user name).
 */
import { FAILURE_CODES, SyncFailure } from '../errors.js';
import { createForgeHttp, type ForgeResponse } from './forge-http.js';
import type { ConnectionCheck, EnsureRepositoryInput, ForgeAdapter, ForgeRepository, TargetConfig } from './types.js';

interface GiteaRepository {
  id: number;
  name: string;
  full_name: string;
  clone_url: string;
}

/** Gitea's repository name rule: letters, digits, `-`, `_`, `.`; not `.` or `..`. */
export function giteaName(name: string): string {
  const cleaned = name.replace(/[^\w.-]/g, '-');
  return cleaned === '.' || cleaned === '..' ? `_${cleaned}` : cleaned;
}

export function createGiteaAdapter(t: TargetConfig): ForgeAdapter {
  const place = `Gitea at ${t.baseUrl}`;
  const credentialHint = `the access token of mirror target ${t.name}`;
  const owner = (t.namespace ?? '').replace(/^\/+|\/+$/g, '');
  const http = createForgeHttp({
    baseUrl: `${t.baseUrl.replace(/\/+$/, '')}/api/v1`,
    headers: t.token ? { authorization: `token ${t.token}` } : {},
    place,
    credentialHint,
    secrets: [t.token],
  });
  const seg = encodeURIComponent;

  const asRepo = (res: ForgeResponse, what: string, created: boolean): ForgeRepository => {
    const r = res.json as GiteaRepository | undefined;
    if (!r || typeof r.clone_url !== 'string' || typeof r.full_name !== 'string') throw http.unexpected(res, what);
    return { id: String(r.id), path: r.full_name, cloneUrl: r.clone_url, created };
  };

  const get = async (path: string): Promise<ForgeRepository | null> => {
    const [o = '', n = ''] = path.split('/');
    const res = await http.request('GET', `/repos/${seg(o)}/${seg(n)}`);
    if (res.status === 404) return null;
    if (res.status === 200) return asRepo(res, `GET /repos/${path}`, false);
    throw http.unexpected(res, `GET /repos/${path}`);
  };

  const currentLogin = async (): Promise<string> => {
    const res = await http.request('GET', '/user');
    const login = (res.json as { login?: unknown } | undefined)?.login;
    if (res.status === 200 && typeof login === 'string') return login;
    throw http.unexpected(res, 'GET /user');
  };

  return {
    kind: 'gitea',
    place,
    credentialHint,
    pathFor: (name) => `${owner}/${giteaName(name.replace(/\//g, '-'))}`,
    gitCredential: () => (t.token ? { url: t.baseUrl, username: t.username ?? 'switchyard', password: t.token } : null),

    async ensureRepository(path: string, input: EnsureRepositoryInput): Promise<ForgeRepository> {
      const found = await get(path);
      if (found) return found;
      const [o = '', name = ''] = path.split('/');
      const body: Record<string, unknown> = { name, private: input.private, auto_init: false };
      if (input.description) body.description = input.description.slice(0, 2048);
      if (input.defaultBranch) body.default_branch = input.defaultBranch;
      const org = await http.request('GET', `/orgs/${seg(o)}`);
      let res: ForgeResponse;
      if (org.status === 200) res = await http.request('POST', `/orgs/${seg(o)}/repos`, body);
      else if (org.status === 404) {
        const login = await currentLogin();
        if (login.toLowerCase() !== o.toLowerCase()) {
          throw new SyncFailure(FAILURE_CODES.targetInvalid, 'config', `${place}: namespace ${o} is neither an organization nor the token's own user (${login}); set the target's namespace to one of them`);
        }
        res = await http.request('POST', '/user/repos', body);
      } else throw http.unexpected(org, `GET /orgs/${o}`);
      if (res.status === 201) return asRepo(res, `POST (create ${path})`, true);
      if (res.status === 409) {
        const again = await get(path);
        if (again) return again;
      }
      throw http.unexpected(res, `create repository ${path}`);
    },

    async rename(repo, newName) {
      const [o = '', n = ''] = repo.path.split('/');
      const res = await http.request('PATCH', `/repos/${seg(o)}/${seg(n)}`, { name: giteaName(newName.replace(/\//g, '-')) });
      if (res.status === 200) return asRepo(res, `PATCH /repos/${repo.path}`, false);
      throw http.unexpected(res, `PATCH /repos/${repo.path}`);
    },

    async archive(repo) {
      const [o = '', n = ''] = repo.path.split('/');
      const res = await http.request('PATCH', `/repos/${seg(o)}/${seg(n)}`, { archived: true });
      if (res.status !== 200 && res.status !== 404) throw http.unexpected(res, `PATCH /repos/${repo.path}`);
    },

    async remove(repo) {
      const [o = '', n = ''] = repo.path.split('/');
      const res = await http.request('DELETE', `/repos/${seg(o)}/${seg(n)}`);
      if (res.status !== 204 && res.status !== 404) throw http.unexpected(res, `DELETE /repos/${repo.path}`);
    },

    async test(): Promise<ConnectionCheck[]> {
      const checks: ConnectionCheck[] = [];
      try {
        const version = await http.request('GET', '/version');
        const v = (version.json as { version?: unknown } | undefined)?.version;
        checks.push({ name: 'reachable', ok: version.status === 200, message: version.status === 200 ? `${place} answers (version ${String(v)})` : `${place} answered ${version.status} to GET /api/v1/version` });
        const login = await currentLogin();
        checks.push({ name: 'token', ok: true, message: `the token belongs to ${login}` });
        const org = await http.request('GET', `/orgs/${seg(owner)}`);
        if (org.status === 200) checks.push({ name: 'namespace', ok: true, message: `organization ${owner} exists` });
        else if (login.toLowerCase() === owner.toLowerCase()) checks.push({ name: 'namespace', ok: true, message: `${owner} is the token's own user` });
        else checks.push({ name: 'namespace', ok: false, message: `${owner} is neither an organization on ${place} nor the token's user (${login})` });
      } catch (err) {
        checks.push({ name: 'token', ok: false, message: err instanceof SyncFailure ? err.message : `${place}: ${String(err)}` });
      }
      return checks;
    },
  };
}
