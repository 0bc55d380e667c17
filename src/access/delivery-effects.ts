/**
 * What a GitHub delivery means for who may see what here. Pure: reads the payload through the
 * checked readers and names the effects; apply-delivery.ts carries them out.
 *
 * Glossary:
 * - installation gone: GitHub deleted the installation; nobody sees it any more.
 * - left account: a person stopped being a member of an organization; they lose what they saw
 *   through that organization's installation at once (a re-check brings back anything GitHub still
 *   gives them, e.g. as an outside collaborator).
 * - revoked: the person revoked their authorization of the App; their sessions end and their
 *   GitHub token is forgotten.
 * - re-check: the delivery does not say enough to decide (a team or repository membership changed,
 *   repositories left an installation): ask GitHub what the person can reach now.
 *
 * A suspended installation needs no effect: the projection marks it suspended, and the scope of
 * every request leaves suspended and deleted installations out (identity's visibleInstallationIds),
 * so `unsuspend` gives it back without a re-check.
 */
import { num, objAt } from '../payload-readers/index.js';

export type AccessEffect =
  | { kind: 'installation-gone'; installationId: number }
  | { kind: 'left-account'; githubUserId: number; accountId: number; installationId: number | null }
  | { kind: 'revoked'; githubUserId: number }
  | { kind: 'recheck-people'; githubUserIds: number[] }
  | { kind: 'recheck-installation'; installationId: number };

/** The events (and actions) whose deliveries can change access; the registry's selectors. */
export const ACCESS_EVENTS = [
  'installation.created',
  'installation.deleted',
  'installation.new_permissions_accepted',
  'installation_repositories',
  'organization.member_added',
  'organization.member_removed',
  'membership',
  'member',
  'github_app_authorization.revoked',
] as const;

const idOf = (payload: Record<string, unknown>, ...path: string[]): number | null => {
  let o: Record<string, unknown> | null = payload;
  for (const key of path.slice(0, -1)) o = objAt(o, key);
  return o ? num(o[path[path.length - 1]!]) : null;
};

const recheck = (...ids: Array<number | null>): AccessEffect[] => {
  const githubUserIds = ids.filter((n): n is number => n !== null);
  return githubUserIds.length > 0 ? [{ kind: 'recheck-people', githubUserIds: [...new Set(githubUserIds)] }] : [];
};

/** The access effects of one delivery (none for events and actions that change nothing). */
export function accessEffectsOf(event: string, action: string | null, payload: Record<string, unknown>): AccessEffect[] {
  const installationId = idOf(payload, 'installation', 'id');
  switch (event) {
    case 'installation':
      if (action === 'deleted') return installationId === null ? [] : [{ kind: 'installation-gone', installationId }];
      // The person who installed (or accepted new permissions) most likely sees it now.
      if (action === 'created' || action === 'new_permissions_accepted') return recheck(idOf(payload, 'sender', 'id'));
      return [];
    case 'installation_repositories':
      if (installationId === null) return [];
      // Repositories left: the people of the installation may have lost everything they saw in it.
      if (action === 'removed') return [{ kind: 'recheck-installation', installationId }];
      return recheck(idOf(payload, 'sender', 'id'));
    case 'organization': {
      const member = idOf(payload, 'membership', 'user', 'id');
      if (action === 'member_removed') {
        const accountId = idOf(payload, 'organization', 'id');
        if (member === null || accountId === null) return [];
        return [{ kind: 'left-account', githubUserId: member, accountId, installationId }, ...recheck(member)];
      }
      if (action === 'member_added') return recheck(member);
      return [];
    }
    case 'membership': // a team's members changed: the team may give access to repositories
    case 'member': // a repository's collaborators changed
      return recheck(idOf(payload, 'member', 'id'));
    case 'github_app_authorization': {
      const person = idOf(payload, 'sender', 'id');
      return action === 'revoked' && person !== null ? [{ kind: 'revoked', githubUserId: person }] : [];
    }
    default:
      return [];
  }
}
