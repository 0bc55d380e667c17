/**
 * A faithful fake GitHub for tests: REST API under `/api/v3` + web OAuth/manifest pages, in-memory
 * state, signed webhook deliveries, and every REST JSON response validated against GitHub's OpenAPI
 * description. See README.md.
 */
export { startFakeGitHub, FakeGitHub, API_PREFIX } from './server.js';
export type { StartFakeGitHubOptions, RequestLogEntry, FailureSpec, CompletedRerun } from './server.js';
export type { FakeApp, CreateAppOptions, AddInstallationOptions, AddRepositoryOptions, AddUserOptions, HookDelivery, Permissions } from './state.js';
export type { AccountJson, InstallationJson, RepositoryJson, Json } from './representations.js';
export type { DeliverOptions, DeliveryOutcome } from './webhook-sender.js';
export { signPayload } from './webhook-sender.js';
export {
  installationPayload,
  installationRepositoriesPayload,
  pushPayload,
  checkRunPayload,
  issuesPayload,
  issueCommentPayload,
  organizationMemberPayload,
  memberPayload,
  appAuthorizationRevokedPayload,
  type PushOptions,
} from './webhook-payloads.js';
export type {
  AddPullRequestOptions,
  UpdatePullRequestPatch,
  AddCheckRunOptions,
  UpdateCheckRunPatch,
  AnnotationRecord,
  AddWorkflowRunOptions,
  WorkflowJobSpec,
  WorkflowRunIds,
  CompleteRerunOptions,
  RerunRequest,
  StepSpec,
  CheckStatus,
  CheckConclusion,
} from './ci-state.js';
export type { LogDownload } from './blob-storage.js';
export { webhookPayloadErrors, validatorStats } from './openapi-validator.js';
export { manifestProblems, type AppManifest } from './routes-manifest.js';
