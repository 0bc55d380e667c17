/**
 * OneDev (REST under `/~api`, see ../shared/api-specs/onedev-rest.md): find a project by path
 * (`GET /~api/projects/ids/<path>`, a bare JSON number or 404), create it (`POST /~api/projects`
 * with the required `gitPackConfig` and `codeAnalysisSetting` objects; a bare number back; a
 * duplicate name is a 500), then its clone URL (`GET /~api/projects/<id>/clone-url`).
 *
 * The namespace is a parent project path (optional: without it, projects are created at the
 * root); missing parents are created too. Names must match `\w[\w-.]*`, so a leading `.` or `-`
 * becomes `_`. Rename updates the project (`POST /~api/projects/<id>` with the whole
 * project); OneDev has no archive. The token goes as `Authorization: Bearer` to the API and as the
 * password of HTTP Basic to git (OneDev ignores the user name then).
 */
import { SyncFailure } from '../errors.js';
import { createForgeHttp, encodePath, type ForgeResponse } from './forge-http.js';
import type { ConnectionCheck, EnsureRepositoryInput, ForgeAdapter, ForgeRepository, TargetConfig } from './types.js';

/** OneDev's project name rule (`\w[\w-.]*`). */
export function onedevName(name: string): string {
  const cleaned = name.replace(/[^\w.-]/g, '_');
  return /^\w/.test(cleaned) ? cleaned : `_${cleaned}`;
}

/** The fields OneDev's ProjectData accepts on create/update (id, path and createDate are read-only). */
const WRITABLE = ['name', 'parentId', 'forkedFromId', 'key', 'description', 'codeManagement', 'packManagement', 'issueManagement', 'timeTracking', 'serviceDeskEmailAddress', 'gitPackConfig', 'codeAnalysisSetting'] as const;

export function createOneDevAdapter(t: TargetConfig): ForgeAdapter {
  const place = `OneDev at ${t.baseUrl}`;
  const credentialHint = `the access token of mirror target ${t.name}`;
  const http = createForgeHttp({
    baseUrl: `${t.baseUrl.replace(/\/+$/, '')}/~api`,
    headers: t.token ? { authorization: `Bearer ${t.token}` } : {},
    place,
    credentialHint,
    secrets: [t.token],
  });

  const asId = (res: ForgeResponse, what: string): number => {
    if (typeof res.json === 'number' && Number.isSafeInteger(res.json)) return res.json;
    throw http.unexpected(res, what);
  };

  const findId = async (path: string): Promise<number | null> => {
    const res = await http.request('GET', `/projects/ids/${encodePath(path)}`);
    if (res.status === 404) return null;
    if (res.status === 200) return asId(res, `GET /~api/projects/ids/${path}`);
    throw http.unexpected(res, `GET /~api/projects/ids/${path}`);
  };

  const cloneUrl = async (id: number): Promise<string> => {
    const res = await http.request('GET', `/projects/${id}/clone-url`);
    const body = res.json as { http?: unknown } | undefined;
    if (res.status === 200 && typeof body?.http === 'string') return body.http;
    throw http.unexpected(res, `GET /~api/projects/${id}/clone-url`);
  };

  const create = async (name: string, parentId: number | null, description: string | null, path: string): Promise<{ id: number; created: boolean }> => {
    const body: Record<string, unknown> = { name, gitPackConfig: {}, codeAnalysisSetting: {} };
    if (parentId !== null) body.parentId = parentId;
    if (description) body.description = description;
    const res = await http.request('POST', '/projects', body);
    if (res.status === 200) return { id: asId(res, 'POST /~api/projects'), created: true };
    if (res.status === 500 && /already used/i.test(res.text)) {
      // Created by someone else meanwhile: use theirs.
      const id = await findId(path);
      if (id !== null) return { id, created: false };
    }
    throw http.unexpected(res, `POST /~api/projects (${path})`);
  };

  /** The id of the project at `path`, creating it and its missing parents. */
  const ensurePath = async (path: string, description: string | null): Promise<{ id: number; created: boolean }> => {
    const existing = await findId(path);
    if (existing !== null) return { id: existing, created: false };
    const slash = path.lastIndexOf('/');
    const parentId = slash > 0 ? (await ensurePath(path.slice(0, slash), null)).id : null;
    return create(path.slice(slash + 1), parentId, description, path);
  };

  return {
    kind: 'onedev',
    place,
    credentialHint,
    pathFor: (name) => [t.namespace?.replace(/^\/+|\/+$/g, ''), ...name.split('/').map(onedevName)].filter(Boolean).join('/'),
    gitCredential: () => (t.token ? { url: t.baseUrl, username: t.username ?? 'switchyard', password: t.token } : null),

    async ensureRepository(path: string, input: EnsureRepositoryInput): Promise<ForgeRepository> {
      const { id, created } = await ensurePath(path, input.description);
      return { id: String(id), path, cloneUrl: await cloneUrl(id), created };
    },

    async rename(repo, newName) {
      const id = repo.id ?? String(await findId(repo.path));
      const current = await http.request('GET', `/projects/${encodeURIComponent(id)}`);
      if (current.status !== 200 || typeof current.json !== 'object' || current.json === null) throw http.unexpected(current, `GET /~api/projects/${id}`);
      const data = current.json as Record<string, unknown>;
      const body: Record<string, unknown> = {};
      for (const k of WRITABLE) if (k in data) body[k] = data[k];
      body.name = onedevName(newName);
      body.gitPackConfig ??= {};
      body.codeAnalysisSetting ??= {};
      const res = await http.request('POST', `/projects/${encodeURIComponent(id)}`, body);
      if (res.status !== 200 && res.status !== 204) throw http.unexpected(res, `POST /~api/projects/${id}`);
      const slash = repo.path.lastIndexOf('/');
      const path = `${slash > 0 ? `${repo.path.slice(0, slash)}/` : ''}${body.name as string}`;
      return { id, path, cloneUrl: await cloneUrl(Number(id)), created: false };
    },

    async remove(repo) {
      const id = repo.id ?? String(await findId(repo.path));
      const res = await http.request('DELETE', `/projects/${encodeURIComponent(id)}`);
      if (res.status !== 200 && res.status !== 204 && res.status !== 404) throw http.unexpected(res, `DELETE /~api/projects/${id}`);
    },

    async test(): Promise<ConnectionCheck[]> {
      const checks: ConnectionCheck[] = [];
      try {
        const res = await http.request('GET', '/projects', undefined, { query: { offset: '0', count: '1' } });
        checks.push(res.status === 200 ? { name: 'token', ok: true, message: `${place} accepts the token` } : { name: 'token', ok: false, message: http.unexpected(res, 'GET /~api/projects').message });
        if (res.status === 200 && t.namespace) {
          const id = await findId(t.namespace);
          checks.push(
            id !== null
              ? { name: 'namespace', ok: true, message: `parent project ${t.namespace} exists (id ${id})` }
              : { name: 'namespace', ok: true, message: `parent project ${t.namespace} does not exist (or the token cannot see it): Switchyard will try to create it` },
          );
        }
      } catch (err) {
        checks.push({ name: 'token', ok: false, message: err instanceof SyncFailure ? err.message : `${place}: ${String(err)}` });
      }
      return checks;
    },
  };
}
