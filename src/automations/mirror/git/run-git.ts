/** Git runs through the shared module (src/git/run-git.ts), which the agents slice uses too. */
export * from '../../../git/run-git.js';
