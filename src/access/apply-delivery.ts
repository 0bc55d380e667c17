/**
 * The access projector: runs inside a delivery's processing transaction (after the state
 * projection), so what the delivery changes about access commits with it — within seconds of
 * GitHub sending it — and re-checks it asks for are enqueued iff it commits.
 */
import type { Executor } from '../db/index.js';
import type { EventContext, ProjectorHandler } from '../automations/registry.js';
import {
  dropGithubAuthorization,
  endAllSessions,
  findUserByGithubId,
  githubUsersOfInstallation,
  removeGithubInstallations,
  removeInstallationForEveryone,
} from '../identity/index.js';
import { installationsOfAccount } from '../state/index.js';
import { accessEffectsOf, type AccessEffect } from './delivery-effects.js';

/** Queues a re-check of one person (keyed: one waiting re-check per person). */
export type EnqueueRecheck = (exec: Executor, userId: string, reason: string) => Promise<void>;

async function apply(tx: Executor, ctx: EventContext, effect: AccessEffect, enqueueRecheck: EnqueueRecheck): Promise<void> {
  const reason = `${ctx.name}${ctx.action ? `.${ctx.action}` : ''}`;
  switch (effect.kind) {
    case 'installation-gone': {
      const removed = await removeInstallationForEveryone(tx, effect.installationId);
      if (removed > 0) ctx.log.info({ installationId: effect.installationId, people: removed }, 'installation deleted on GitHub: nobody sees it any more');
      return;
    }
    case 'left-account': {
      const user = await findUserByGithubId(tx, effect.githubUserId);
      if (!user) return;
      const installations = new Set(await installationsOfAccount(tx, effect.accountId));
      if (effect.installationId !== null) installations.add(effect.installationId);
      const removed = await removeGithubInstallations(tx, user.id, [...installations]);
      if (removed > 0) ctx.log.info({ userId: user.id, accountId: effect.accountId, installations: removed }, 'member left the organization on GitHub: its installations are no longer theirs');
      return;
    }
    case 'revoked': {
      const user = await findUserByGithubId(tx, effect.githubUserId);
      if (!user) return;
      const sessions = await endAllSessions(tx, user.id);
      await dropGithubAuthorization(tx, user.id);
      ctx.log.info({ userId: user.id, sessions }, 'authorization of the App revoked on GitHub: sessions ended, GitHub token dropped');
      return;
    }
    case 'recheck-people':
      for (const githubUserId of effect.githubUserIds) {
        const user = await findUserByGithubId(tx, githubUserId);
        if (user) await enqueueRecheck(tx, user.id, reason);
      }
      return;
    case 'recheck-installation':
      for (const userId of await githubUsersOfInstallation(tx, effect.installationId)) await enqueueRecheck(tx, userId, reason);
      return;
  }
}

/** The projector handler for ACCESS_EVENTS. */
export function accessProjector(enqueueRecheck: EnqueueRecheck): ProjectorHandler {
  return async (ctx, tx) => {
    for (const effect of accessEffectsOf(ctx.name, ctx.action, ctx.payload)) await apply(tx, ctx, effect, enqueueRecheck);
  };
}
