/**
 * @switchyard/probot: Probot 14's public surface for unmodified Probot apps.
 *
 * Everything is real Probot 14 (`Context`, `ProbotOctokit`, `Server`, `run`, `createProbot`,
 * `createNodeMiddleware`, the types apps import) except `Probot`, whose `on`/`onAny`/`onError` also
 * tell Switchyard what the app subscribes to when Switchyard hosts it (see ./probot.ts). Used on its
 * own, as in an app's test suite, it behaves exactly as Probot 14 does.
 */
export * from 'probot';
export { Probot } from './probot.js';
