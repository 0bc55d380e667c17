/** The state slice: projection of events into GitHub state tables, and their read API. */
export { registerStateProjection, PROJECTED_EVENTS } from './register-projection.js';
export { stateRoutes } from './routes.js';
export { overviewRoutes } from './overview-routes.js';
export { findRepositoryId, getRepository, getPullRequest, listRepositories, listInstallations, getInstallation } from './read-repo.js';
export type { VisibleRepositoryId, InstallationItem, RepositoryItem } from './read-repo.js';
export { applyPolledPullRequest, applyPolledCheckRuns } from './apply-polled.js';
export { applyInstallationSnapshot, markMissingInstallationsDeleted } from './apply-installation-snapshot.js';
export { FAILING_CONCLUSIONS } from './refresh-failing-checks.js';
export { installationsOfAccount } from './project-installation.js';
