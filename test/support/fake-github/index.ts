/**
 * A faithful fake GitHub for tests: REST API under `/api/v3` + web OAuth/manifest pages, in-memory
 * state, signed webhook deliveries, and every REST JSON response validated against GitHub's OpenAPI
 * description. See README.md.
 */
export { startFakeGitHub, FakeGitHub, API_PREFIX } from './server.js';
export type { StartFakeGitHubOptions, RequestLogEntry, FailureSpec } from './server.js';
export type { FakeApp, CreateAppOptions, AddInstallationOptions, AddRepositoryOptions, AddUserOptions, HookDelivery, Permissions } from './state.js';
export type { AccountJson, InstallationJson, RepositoryJson, Json } from './representations.js';
export type { DeliverOptions, DeliveryOutcome } from './webhook-sender.js';
export { signPayload } from './webhook-sender.js';
export { installationPayload, installationRepositoriesPayload, pushPayload, type PushOptions } from './webhook-payloads.js';
export { webhookPayloadErrors, validatorStats } from './openapi-validator.js';
export { manifestProblems, type AppManifest } from './routes-manifest.js';
