/**
 * GitLab (REST `/api/v4`, see ../shared/api-specs/gitlab-projects.md): `GET /projects/<url-encoded
 * full path>`; when missing, `GET /namespaces/<url-encoded namespace>` for its id, then
 * `POST /projects` with `name`, `path`, `namespace_id` and `visibility` (201). Rename is
 * `PUT /projects/:id` (name and path), archive `POST /projects/:id/archive`, delete
 * `DELETE /projects/:id` — common GitLab API, marked unverified in the notes.
 *
 * The namespace (a group or user path) is required. The token goes as `PRIVATE-TOKEN` to the API
 * and as HTTP Basic `oauth2:<token>` to git (the user name GitLab requires for OAuth tokens and
 * accepts for personal access tokens).
 */
import { FAILURE_CODES, SyncFailure } from '../errors.js';
import { createForgeHttp, type ForgeResponse } from './forge-http.js';
import type { ConnectionCheck, EnsureRepositoryInput, ForgeAdapter, ForgeRepository, TargetConfig } from './types.js';

interface GitLabProject {
  id: number;
  path_with_namespace: string;
  http_url_to_repo: string;
}

/** GitLab's project path rule: letters, digits, `_`, `-`, `.`; no leading `-`/`.`, no `.git`/`.atom` ending. */
export function gitlabPath(name: string): string {
  let p = name.replace(/[^\w.-]/g, '-').replace(/^[-.]+/, '');
  p = p.replace(/\.(git|atom)$/i, '_$1');
  return p || '_';
}

export function createGitLabAdapter(t: TargetConfig): ForgeAdapter {
  const place = `GitLab at ${t.baseUrl}`;
  const credentialHint = `the access token of mirror target ${t.name}`;
  const namespace = (t.namespace ?? '').replace(/^\/+|\/+$/g, '');
  const http = createForgeHttp({
    baseUrl: `${t.baseUrl.replace(/\/+$/, '')}/api/v4`,
    headers: t.token ? { 'private-token': t.token } : {},
    place,
    credentialHint,
    secrets: [t.token],
  });

  const asProject = (res: ForgeResponse, what: string, created: boolean): ForgeRepository => {
    const p = res.json as GitLabProject | undefined;
    if (!p || typeof p.http_url_to_repo !== 'string' || typeof p.path_with_namespace !== 'string') throw http.unexpected(res, what);
    return { id: String(p.id), path: p.path_with_namespace, cloneUrl: p.http_url_to_repo, created };
  };

  const get = async (idOrPath: string): Promise<ForgeRepository | null> => {
    const res = await http.request('GET', `/projects/${encodeURIComponent(idOrPath)}`);
    if (res.status === 404) return null;
    if (res.status === 200) return asProject(res, `GET /projects/${idOrPath}`, false);
    throw http.unexpected(res, `GET /projects/${idOrPath}`);
  };

  const namespaceId = async (): Promise<number> => {
    const res = await http.request('GET', `/namespaces/${encodeURIComponent(namespace)}`);
    const id = (res.json as { id?: unknown } | undefined)?.id;
    if (res.status === 200 && typeof id === 'number') return id;
    if (res.status === 404) throw new SyncFailure(FAILURE_CODES.targetInvalid, 'config', `${place} has no namespace ${namespace} (or the token cannot see it): create the group, or fix the target's namespace`);
    throw http.unexpected(res, `GET /namespaces/${namespace}`);
  };

  return {
    kind: 'gitlab',
    place,
    credentialHint,
    pathFor: (name) => `${namespace}/${gitlabPath(name.replace(/\//g, '-'))}`,
    gitCredential: () => (t.token ? { url: t.baseUrl, username: t.username ?? 'oauth2', password: t.token } : null),

    async ensureRepository(path: string, input: EnsureRepositoryInput): Promise<ForgeRepository> {
      const found = await get(path);
      if (found) return found;
      const name = path.slice(path.lastIndexOf('/') + 1);
      const body: Record<string, unknown> = { name, path: name, namespace_id: await namespaceId(), visibility: input.private ? 'private' : 'public' };
      if (input.description) body.description = input.description.slice(0, 2000);
      if (input.defaultBranch) body.default_branch = input.defaultBranch;
      const res = await http.request('POST', '/projects', body);
      if (res.status === 201) return asProject(res, 'POST /projects', true);
      if (res.status === 400 && /already been taken/i.test(res.text)) {
        const again = await get(path);
        if (again) return again;
      }
      throw http.unexpected(res, `POST /projects (${path})`);
    },

    async rename(repo, newName) {
      const id = repo.id ?? repo.path;
      const path = gitlabPath(newName.replace(/\//g, '-'));
      const res = await http.request('PUT', `/projects/${encodeURIComponent(id)}`, { name: path, path });
      if (res.status === 200) return asProject(res, `PUT /projects/${id}`, false);
      throw http.unexpected(res, `PUT /projects/${id}`);
    },

    async archive(repo) {
      const id = repo.id ?? repo.path;
      const res = await http.request('POST', `/projects/${encodeURIComponent(id)}/archive`);
      if (res.status !== 201 && res.status !== 200 && res.status !== 404) throw http.unexpected(res, `POST /projects/${id}/archive`);
    },

    async remove(repo) {
      const id = repo.id ?? repo.path;
      const res = await http.request('DELETE', `/projects/${encodeURIComponent(id)}`);
      if (res.status !== 202 && res.status !== 204 && res.status !== 404) throw http.unexpected(res, `DELETE /projects/${id}`);
    },

    async test(): Promise<ConnectionCheck[]> {
      try {
        const id = await namespaceId();
        return [
          { name: 'token', ok: true, message: `${place} accepts the token` },
          { name: 'namespace', ok: true, message: `namespace ${namespace} exists (id ${id})` },
        ];
      } catch (err) {
        return [{ name: 'token', ok: false, message: err instanceof SyncFailure ? err.message : `${place}: ${String(err)}` }];
      }
    },
  };
}
