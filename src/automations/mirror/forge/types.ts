/**
 * What the sync needs from a target forge: find or create the repository (and its git URL),
 * follow renames, archive or delete it, and test the connection. One adapter per kind:
 * onedev.ts, gitea.ts (also Forgejo), gitlab.ts, git.ts (any git URL, no API).
 *
 * Glossary:
 * - path: where the repository lives on the target, namespace included (`mirrors/widgets`).
 * - clone URL: the repository's git-over-HTTP(S) address on the target, never with credentials.
 */
import type { GitCredential } from '../../../git/index.js';
import type { TargetKind } from '../tables.js';

export interface ForgeRepository {
  /** The forge's own id (OneDev/GitLab number, Gitea id), as text; null for plain git. */
  id: string | null;
  path: string;
  cloneUrl: string;
  /** True when this call created it. */
  created: boolean;
}

export interface EnsureRepositoryInput {
  /** The last segment of the path (the repository's own name on the target). */
  name: string;
  description: string | null;
  private: boolean;
  defaultBranch: string | null;
}

export interface ConnectionCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface ForgeAdapter {
  readonly kind: TargetKind;
  /** Human name for messages: "OneDev at https://onedev.example.com". */
  readonly place: string;
  /** Which credential to fix, for messages: "the token of mirror target onedev". */
  readonly credentialHint: string;
  /** The path a repository gets on this target (namespace + name). */
  pathFor(name: string): string;
  /** The credential git sends to the target (null: none configured). */
  gitCredential(): GitCredential | null;
  /** Finds the repository at `path`, creating it (and, on OneDev, missing parent projects) if it does not exist. */
  ensureRepository(path: string, input: EnsureRepositoryInput): Promise<ForgeRepository>;
  /** Renames a repository on the forge; null when the forge (or plain git) cannot. */
  rename?(repo: { id: string | null; path: string }, newName: string): Promise<ForgeRepository>;
  /** Archives (makes read-only) a repository; absent when the forge has no such thing. */
  archive?(repo: { id: string | null; path: string }): Promise<void>;
  /** Deletes a repository (only when a target is configured to delete copies). */
  remove?(repo: { id: string | null; path: string }): Promise<void>;
  /** Checks address, credentials and namespace; never throws. */
  test(): Promise<ConnectionCheck[]>;
}

/** A target as the adapters need it (the token already decrypted). */
export interface TargetConfig {
  id: string;
  name: string;
  kind: TargetKind;
  baseUrl: string;
  namespace: string | null;
  username: string | null;
  token: string | null;
}
