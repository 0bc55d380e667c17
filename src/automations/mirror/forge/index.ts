/** The forge adapter for a target's kind. */
import { createGitAdapter } from './git.js';
import { createGiteaAdapter } from './gitea.js';
import { createGitLabAdapter } from './gitlab.js';
import { createOneDevAdapter } from './onedev.js';
import type { ForgeAdapter, TargetConfig } from './types.js';

export type { ForgeAdapter, ForgeRepository, TargetConfig, ConnectionCheck, EnsureRepositoryInput } from './types.js';
export { gitTargetUrl } from './git.js';

export function forgeFor(t: TargetConfig): ForgeAdapter {
  switch (t.kind) {
    case 'onedev':
      return createOneDevAdapter(t);
    case 'gitea':
      return createGiteaAdapter(t);
    case 'gitlab':
      return createGitLabAdapter(t);
    case 'git':
      return createGitAdapter(t);
  }
}
