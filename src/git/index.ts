/**
 * What more than one automation needs of git: running it with credentials through the environment
 * only (run-git.ts), bare caches on disk (cache.ts), listing refs (refs.ts) and LFS (lfs.ts).
 * Automations import git from here, never from each other.
 */
export { runGit, gitEnvironment, basicAuthorization, createProgressParser, GitCommandFailed } from './run-git.js';
export type { GitCredential, GitProgress, GitRunOptions, GitResult } from './run-git.js';
export { cacheExists, removeStaleLocks, diskUsage, formatBytes } from './cache.js';
export { isMirroredRef, parseLsRemote, parseForEachRef } from './refs.js';
export type { RefMap } from './refs.js';
export { lfsAvailable, usesLfs } from './lfs.js';
