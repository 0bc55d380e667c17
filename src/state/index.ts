/** The state slice: projection of events into GitHub state tables, and their read API. */
export { registerStateProjection, PROJECTED_EVENTS } from './register-projection.js';
export { stateRoutes } from './routes.js';
export { findRepositoryId, getRepository, getPullRequest, listRepositories, listInstallations, getInstallation } from './read-repo.js';
export type { VisibleRepositoryId, InstallationItem, RepositoryItem } from './read-repo.js';
