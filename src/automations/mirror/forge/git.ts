/**
 * Any git remote over HTTP(S), without an API: the base URL is a template for each repository's
 * URL. `{path}` is replaced by the repository's path on the target (the target's name template,
 * `{name}` by default); without `{path}`, the URL is `<base>/<path>.git`. Repositories must exist
 * there already (or the server must create them on push); nothing can be renamed or archived.
 * The token, when set, is sent as the password of HTTP Basic with the target's user name (`git`
 * unless set).
 */
import type { ConnectionCheck, ForgeAdapter, TargetConfig } from './types.js';

/** The git URL of `path` on a plain git target. */
export function gitTargetUrl(baseUrl: string, path: string): string {
  const encoded = path.split('/').map(encodeURIComponent).join('/');
  if (baseUrl.includes('{path}')) return baseUrl.replace('{path}', encoded);
  return `${baseUrl.replace(/\/+$/, '')}/${encoded}.git`;
}

export function createGitAdapter(t: TargetConfig): ForgeAdapter {
  const place = `the git server at ${new URL(t.baseUrl.replace('{path}', 'x')).origin}`;
  return {
    kind: 'git',
    place,
    credentialHint: `the token of mirror target ${t.name}`,
    pathFor: (name) => name.replace(/[^\w./-]/g, '-'),
    gitCredential: () => (t.token ? { url: t.baseUrl.replace('{path}', 'x'), username: t.username ?? 'git', password: t.token } : null),
    async ensureRepository(path) {
      return { id: null, path, cloneUrl: gitTargetUrl(t.baseUrl, path), created: false };
    },
    async test(): Promise<ConnectionCheck[]> {
      const origin = new URL(t.baseUrl.replace('{path}', 'x')).origin;
      try {
        const res = await fetch(origin, { method: 'GET', signal: AbortSignal.timeout(10_000), redirect: 'manual' });
        await res.arrayBuffer().catch(() => undefined);
        return [{ name: 'reachable', ok: true, message: `${origin} answers (${res.status}); the token is checked at the first push` }];
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        return [{ name: 'reachable', ok: false, message: `${origin} could not be reached (${e.cause?.code ?? e.message})` }];
      }
    },
  };
}
