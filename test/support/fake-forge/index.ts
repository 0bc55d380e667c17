/**
 * Fake forge APIs for the mirror's tests, one per kind, each serving git over HTTP for the
 * repositories it creates (git http-backend) on the same port as its API. See README.md.
 */
export { FakeOneDev, type OneDevProject, type OneDevToken } from './onedev.js';
export { FakeGitea, type GiteaRepo } from './gitea.js';
export { FakeGitLab, type GitLabProject } from './gitlab.js';
export { ForgeServer, type ForgeRequest, type ForgeResponseSpec, type LoggedRequest } from './forge-server.js';
export { giteaSpecNotice, GITEA_SPEC_PATH } from './gitea-swagger.js';
