/** The state slice: projection of events into GitHub state tables, and their read API. */
export { registerStateProjection, PROJECTED_EVENTS } from './register-projection.js';
export { stateRoutes } from './routes.js';
export { findRepositoryId, getRepository, getPullRequest, listRepositories } from './read-repo.js';
