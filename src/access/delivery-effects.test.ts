/**
 * The fields access reads from deliveries, checked against GitHub's own example payloads
 * (@octokit/webhooks-examples): each example of an event access follows yields the effect its
 * fields say, and nothing is read from a field the examples do not have.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { matches } from '../automations/registry.js';
import { ACCESS_EVENTS, accessEffectsOf } from './delivery-effects.js';

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown>>;
}
const require = createRequire(import.meta.url);
const groups = require('@octokit/webhooks-examples/api.github.com/index.json') as ExampleGroup[];
const examples = (event: string, action?: string) =>
  (groups.find((g) => g.name === event)?.examples ?? []).filter((p) => action === undefined || p.action === action);

describe('access effects of real example payloads', () => {
  it('installation.deleted: the installation is gone for everyone', () => {
    const list = examples('installation', 'deleted');
    expect(list.length).toBeGreaterThan(0);
    for (const p of list) {
      const id = (p.installation as { id: number }).id;
      expect(accessEffectsOf('installation', 'deleted', p)).toEqual([{ kind: 'installation-gone', installationId: id }]);
    }
  });

  it('installation.suspend and unsuspend: no effect (the scope leaves suspended installations out)', () => {
    for (const action of ['suspend', 'unsuspend']) {
      const list = examples('installation', action);
      expect(list.length).toBeGreaterThan(0);
      for (const p of list) expect(accessEffectsOf('installation', action, p)).toEqual([]);
    }
  });

  it('installation.created: the person who installed is re-checked', () => {
    for (const p of examples('installation', 'created')) {
      expect(accessEffectsOf('installation', 'created', p)).toEqual([{ kind: 'recheck-people', githubUserIds: [(p.sender as { id: number }).id] }]);
    }
  });

  it('installation_repositories.removed: the people of the installation are re-checked', () => {
    const list = examples('installation_repositories', 'removed');
    expect(list.length).toBeGreaterThan(0);
    for (const p of list) {
      expect(accessEffectsOf('installation_repositories', 'removed', p)).toEqual([{ kind: 'recheck-installation', installationId: (p.installation as { id: number }).id }]);
    }
  });

  it('organization.member_added and membership and member changes re-check the member', () => {
    const added = examples('organization', 'member_added');
    expect(added.length).toBeGreaterThan(0);
    for (const p of added) {
      const member = ((p.membership as { user: { id: number } }).user).id;
      expect(accessEffectsOf('organization', 'member_added', p)).toEqual([{ kind: 'recheck-people', githubUserIds: [member] }]);
    }
    const teams = examples('membership');
    const collaborators = examples('member');
    expect(teams.length).toBeGreaterThan(0);
    expect(collaborators.length).toBeGreaterThan(0);
    for (const [event, list] of [['membership', teams], ['member', collaborators]] as const) {
      for (const p of list) {
        expect(accessEffectsOf(event, String(p.action), p)).toEqual([{ kind: 'recheck-people', githubUserIds: [(p.member as { id: number }).id] }]);
      }
    }
  });

  it('organization.member_removed: the member leaves the organization’s installations (shaped like member_added)', () => {
    // The examples have no member_removed; GitHub's schema gives it the same membership and organization as member_added.
    for (const p of examples('organization', 'member_added')) {
      const removed = { ...p, action: 'member_removed' };
      const member = ((p.membership as { user: { id: number } }).user).id;
      const installation = (p.installation as { id: number } | undefined)?.id ?? null;
      expect(accessEffectsOf('organization', 'member_removed', removed)).toEqual([
        { kind: 'left-account', githubUserId: member, accountId: (p.organization as { id: number }).id, installationId: installation },
        { kind: 'recheck-people', githubUserIds: [member] },
      ]);
    }
  });

  it('github_app_authorization.revoked: the sender’s authorization ends', () => {
    const list = examples('github_app_authorization', 'revoked');
    expect(list.length).toBeGreaterThan(0);
    for (const p of list) expect(accessEffectsOf('github_app_authorization', 'revoked', p)).toEqual([{ kind: 'revoked', githubUserId: (p.sender as { id: number }).id }]);
  });

  it('payloads without the fields change nothing, and other events are not subscribed', () => {
    expect(accessEffectsOf('organization', 'member_removed', { membership: { user: { id: 'x' } }, organization: {} })).toEqual([]);
    expect(accessEffectsOf('github_app_authorization', 'revoked', { sender: null })).toEqual([]);
    expect(accessEffectsOf('member', 'removed', {})).toEqual([]);
    expect(matches(ACCESS_EVENTS, 'push', null)).toBe(false);
    expect(matches(ACCESS_EVENTS, 'installation', 'suspend')).toBe(false);
    expect(matches(ACCESS_EVENTS, 'organization', 'member_removed')).toBe(true);
    expect(matches(ACCESS_EVENTS, 'member', 'removed')).toBe(true);
  });
});
