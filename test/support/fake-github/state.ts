/**
 * The fake's in-memory GitHub: accounts, apps, installations, repositories, tokens, one-time codes
 * and webhook deliveries. Plain records (camelCase); `representations.ts` renders GitHub's JSON.
 */
import type { KeyObject } from 'node:crypto';
import { CiState } from './ci-state.js';
import { githubToken, hex, base62, nodeId } from './ids.js';
import { publicKeyFromPrivatePem } from './jwt.js';
import { takeKey } from './keys.js';
import { recordSecret } from '../secret-ledger.js';

/** `Bot`: an app's bot user (`<slug>[bot]`), as comment authors (see ci-state.ts). */
export type AccountType = 'User' | 'Organization' | 'Bot';
export type Permissions = Record<string, string>;
export type RepositorySelection = 'all' | 'selected';

export interface AccountRecord {
  id: number;
  login: string;
  type: AccountType;
  name: string | null;
  email: string | null;
  avatarUrl: string | null;
  createdAt: number;
}

export interface AppRecord {
  id: number;
  slug: string;
  name: string;
  description: string | null;
  nodeId: string;
  owner: AccountRecord;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  /** Where this app's deliveries go; null = no webhook configured. */
  webhookUrl: string | null;
  hookId: number;
  privateKey: string;
  publicKey: KeyObject;
  permissions: Permissions;
  events: string[];
  externalUrl: string;
  callbackUrls: string[];
  setupUrl: string | null;
  isPublic: boolean;
  /** GitHub App "expire user authorization tokens": ghu_ tokens with a refresh token. */
  expiringUserTokens: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface InstallationRecord {
  id: number;
  appId: number;
  account: AccountRecord;
  repositorySelection: RepositorySelection;
  permissions: Permissions;
  events: string[];
  repositoryIds: number[];
  createdAt: number;
  updatedAt: number;
  suspendedAt: number | null;
  suspendedBy: AccountRecord | null;
}

export interface RepositoryRecord {
  id: number;
  name: string;
  owner: AccountRecord;
  private: boolean;
  defaultBranch: string;
  description: string | null;
  homepage: string | null;
  language: string | null;
  topics: string[];
  archived: boolean;
  disabled: boolean;
  fork: boolean;
  isTemplate: boolean;
  size: number;
  stargazersCount: number;
  openIssuesCount: number;
  createdAt: number;
  updatedAt: number;
  pushedAt: number;
}

export interface InstallationTokenRecord {
  token: string;
  installationId: number;
  appId: number;
  expiresAt: number;
  permissions: Permissions;
  repositorySelection: RepositorySelection;
  /** null = every repository of the installation. */
  repositoryIds: number[] | null;
}

export interface UserTokenRecord {
  token: string;
  userId: number;
  appId: number;
  expiresAt: number | null;
  refreshToken: string | null;
  refreshTokenExpiresAt: number | null;
}

export interface OneTimeCode {
  code: string;
  appId: number;
  expiresAt: number;
  used: boolean;
}

export interface OAuthCode extends OneTimeCode {
  userId: number;
  redirectUri: string | null;
}

/** A webhook delivery exactly as `GET /app/hook/deliveries/{delivery_id}` returns it. */
export interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  redelivery: boolean;
  duration: number;
  status: string;
  status_code: number;
  event: string;
  action: string | null;
  installation_id: number | null;
  repository_id: number | null;
  throttled_at: string | null;
  url: string;
  request: { headers: Record<string, string>; payload: Record<string, unknown> };
  response: { headers: Record<string, string>; payload: string | null };
}

export interface AccountSpec {
  login: string;
  id?: number;
  type?: AccountType;
}

/** Options of `fake.createApp()`. */
export interface CreateAppOptions {
  id?: number;
  slug?: string;
  name?: string;
  description?: string | null;
  clientId?: string;
  clientSecret?: string;
  webhookSecret?: string;
  /** Defaults to the fake's webhook target (`setWebhookTarget` / `startFakeGitHub({ webhookUrl })`). */
  webhookUrl?: string | null;
  owner?: AccountSpec;
  permissions?: Permissions;
  events?: string[];
  callbackUrls?: string[];
  setupUrl?: string | null;
  externalUrl?: string;
  /** Reuse a PEM private key instead of taking one from the pool. */
  privateKey?: string;
  /** Issue expiring `ghu_` user tokens with refresh tokens (GitHub's default for new apps) instead of `gho_`. */
  expiringUserTokens?: boolean;
  isPublic?: boolean;
}

/** The credentials of a fake app, as a test needs them. */
export interface FakeApp {
  id: number;
  slug: string;
  name: string;
  nodeId: string;
  clientId: string;
  clientSecret: string;
  webhookSecret: string;
  /** PEM (PKCS#1) private key, like the .pem GitHub lets you download. */
  privateKey: string;
}

/** Options of `fake.addInstallation()`. */
export interface AddInstallationOptions {
  id?: number;
  /** Defaults to the first app created. */
  appId?: number;
  account: AccountSpec;
  repositorySelection?: RepositorySelection;
  /** Defaults to the app's permissions. */
  permissions?: Permissions;
  /** Defaults to the app's events. */
  events?: string[];
}

/** Options of `fake.addRepository()`. */
export interface AddRepositoryOptions {
  id?: number;
  name: string;
  /** Owner login; defaults to the installation's account. */
  owner?: string;
  private?: boolean;
  defaultBranch?: string;
  description?: string | null;
  homepage?: string | null;
  language?: string | null;
  topics?: string[];
  archived?: boolean;
  disabled?: boolean;
  fork?: boolean;
  isTemplate?: boolean;
  size?: number;
  stargazersCount?: number;
  openIssuesCount?: number;
  createdAt?: Date | string;
  pushedAt?: Date | string;
}

/** Options of `fake.addUser()`. */
export interface AddUserOptions {
  id?: number;
  login: string;
  email?: string | null;
  name?: string | null;
  avatarUrl?: string | null;
}

export const INSTALLATION_TOKEN_TTL_MS = 60 * 60 * 1000;
export const CODE_TTL_MS = 10 * 60 * 1000;

/** Id sequences in GitHub-like ranges; explicit ids are honoured and skipped by the sequences. */
class Sequence {
  constructor(private next: number) {}
  take(isUsed: (id: number) => boolean): number {
    while (isUsed(this.next)) this.next += 1;
    return this.next++;
  }
}

function slugify(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

function toMs(value: Date | string | undefined, fallback: number): number {
  return value === undefined ? fallback : new Date(value).getTime();
}

/** The whole in-memory GitHub. */
export class FakeState {
  readonly accounts = new Map<string, AccountRecord>();
  readonly apps = new Map<number, AppRecord>();
  readonly installations = new Map<number, InstallationRecord>();
  readonly repositories = new Map<number, RepositoryRecord>();
  readonly installationTokens = new Map<string, InstallationTokenRecord>();
  readonly userTokens = new Map<string, UserTokenRecord>();
  readonly refreshTokens = new Map<string, UserTokenRecord>();
  readonly oauthCodes = new Map<string, OAuthCode>();
  readonly manifestCodes = new Map<string, OneTimeCode>();
  /** user id -> installation ids granted to that user (what GET /user/installations lists). */
  readonly userInstallations = new Map<number, Set<number>>();
  readonly deliveries: { appId: number; delivery: HookDelivery }[] = [];
  /** Every successful OAuth authorization (the user approved `appId` on the authorize page). */
  readonly authorizations: { appId: number; login: string; state: string | null; redirectUri: string; code: string }[] = [];
  signedInUserId: number | null = null;
  tokensIssued = 0;
  /** Pull requests, checks, GitHub Actions runs/jobs, issue comments (see ci-state.ts). */
  readonly ci: CiState = new CiState(this);
  /** Defaults applied to apps created later (and to all apps by `setWebhookTarget`). */
  webhookDefaults: { url: string | null; secret: string | null } = { url: null, secret: null };

  private readonly appIds = new Sequence(100_001);
  private readonly accountIds = new Sequence(5_000_001);
  private readonly installationIds = new Sequence(40_000_001);
  private readonly repositoryIds = new Sequence(700_000_001);
  private readonly hookIds = new Sequence(400_000_001);
  private readonly deliveryIds = new Sequence(20_000_000_001);

  /** Finds or creates the account `login` (logins are case-insensitive on GitHub). */
  ensureAccount(spec: AccountSpec): AccountRecord {
    const key = spec.login.toLowerCase();
    const existing = this.accounts.get(key);
    if (existing) {
      if (spec.type && spec.type !== existing.type) throw new Error(`account ${spec.login} already exists as ${existing.type}`);
      if (spec.id !== undefined && spec.id !== existing.id) throw new Error(`account ${spec.login} already exists with id ${existing.id}`);
      return existing;
    }
    const used = new Set([...this.accounts.values()].map((a) => a.id));
    const id = spec.id ?? this.accountIds.take((n) => used.has(n));
    const account: AccountRecord = { id, login: spec.login, type: spec.type ?? 'Organization', name: null, email: null, avatarUrl: null, createdAt: Date.now() };
    this.accounts.set(key, account);
    return account;
  }

  findAccount(login: string): AccountRecord | undefined {
    return this.accounts.get(login.toLowerCase());
  }

  findAccountById(id: number): AccountRecord | undefined {
    return [...this.accounts.values()].find((a) => a.id === id);
  }

  /** Creates an app with a key pair (the n-th app of this fake takes the n-th pooled key). */
  createApp(opts: CreateAppOptions = {}): AppRecord {
    const id = opts.id ?? this.appIds.take((n) => this.apps.has(n));
    if (this.apps.has(id)) throw new Error(`app ${id} already exists`);
    const name = opts.name ?? `Fake App ${id}`;
    const slug = opts.slug ?? slugify(name);
    if ([...this.apps.values()].some((a) => a.slug === slug)) throw new Error(`an app with slug ${slug} already exists`);
    const privateKey = opts.privateKey ?? takeKey(this.apps.size);
    const now = Date.now();
    const app: AppRecord = {
      id,
      slug,
      name,
      description: opts.description ?? null,
      nodeId: nodeId('Integration', id),
      owner: this.ensureAccount(opts.owner ?? { login: 'octo-org', type: 'Organization' }),
      clientId: opts.clientId ?? `Iv23li${base62(14)}`,
      clientSecret: opts.clientSecret ?? hex(20),
      webhookSecret: opts.webhookSecret ?? this.webhookDefaults.secret ?? hex(20),
      webhookUrl: opts.webhookUrl === undefined ? this.webhookDefaults.url : opts.webhookUrl,
      hookId: this.hookIds.take((n) => [...this.apps.values()].some((a) => a.hookId === n)),
      privateKey,
      publicKey: publicKeyFromPrivatePem(privateKey),
      permissions: opts.permissions ?? { metadata: 'read' },
      events: opts.events ?? [],
      externalUrl: opts.externalUrl ?? 'https://example.com',
      callbackUrls: opts.callbackUrls ?? [],
      setupUrl: opts.setupUrl ?? null,
      isPublic: opts.isPublic ?? false,
      expiringUserTokens: opts.expiringUserTokens ?? false,
      createdAt: now,
      updatedAt: now,
    };
    this.apps.set(id, app);
    // The key's body (one base64 line of it is enough to spot a leak), and the app's secrets.
    recordSecret(app.clientSecret, app.webhookSecret, privateKey.split('\n')[1]);
    return app;
  }

  /** The app an `iss` claim names: the app id (number or string) or the client id. */
  findAppByIssuer(iss: string): AppRecord | undefined {
    if (/^\d+$/.test(iss)) return this.apps.get(Number(iss));
    return [...this.apps.values()].find((a) => a.clientId === iss);
  }

  findAppByClientId(clientId: string): AppRecord | undefined {
    return [...this.apps.values()].find((a) => a.clientId === clientId);
  }

  /** The app used when a test does not name one: the first created (that still exists). */
  defaultApp(): AppRecord {
    const app = this.apps.values().next().value;
    if (!app) throw new Error('the fake has no app yet: call fake.createApp() (or run the manifest flow) first');
    return app;
  }

  requireApp(appId: number | undefined): AppRecord {
    if (appId === undefined) return this.defaultApp();
    const app = this.apps.get(appId);
    if (!app) throw new Error(`no app ${appId}`);
    return app;
  }

  addInstallation(opts: AddInstallationOptions): InstallationRecord {
    const app = this.requireApp(opts.appId);
    const id = opts.id ?? this.installationIds.take((n) => this.installations.has(n));
    if (this.installations.has(id)) throw new Error(`installation ${id} already exists`);
    const account = this.ensureAccount(opts.account);
    if ([...this.installations.values()].some((i) => i.appId === app.id && i.account.id === account.id)) {
      throw new Error(`app ${app.slug} is already installed on ${account.login}`);
    }
    const now = Date.now();
    const installation: InstallationRecord = {
      id,
      appId: app.id,
      account,
      repositorySelection: opts.repositorySelection ?? 'selected',
      permissions: { ...(opts.permissions ?? app.permissions) },
      events: [...(opts.events ?? app.events)],
      repositoryIds: [],
      createdAt: now,
      updatedAt: now,
      suspendedAt: null,
      suspendedBy: null,
    };
    this.installations.set(id, installation);
    return installation;
  }

  requireInstallation(id: number): InstallationRecord {
    const installation = this.installations.get(id);
    if (!installation) throw new Error(`no installation ${id}`);
    return installation;
  }

  /** Uninstalls: the installation, its tokens and its user grants disappear. */
  removeInstallation(id: number): void {
    this.requireInstallation(id);
    this.installations.delete(id);
    for (const [token, record] of this.installationTokens) if (record.installationId === id) this.installationTokens.delete(token);
    for (const granted of this.userInstallations.values()) granted.delete(id);
  }

  addRepository(installationId: number, opts: AddRepositoryOptions): RepositoryRecord {
    const installation = this.requireInstallation(installationId);
    const id = opts.id ?? this.repositoryIds.take((n) => this.repositories.has(n));
    const owner = opts.owner ? this.ensureAccount({ login: opts.owner }) : installation.account;
    const now = Date.now();
    const repo: RepositoryRecord = {
      id,
      name: opts.name,
      owner,
      private: opts.private ?? false,
      defaultBranch: opts.defaultBranch ?? 'main',
      description: opts.description ?? null,
      homepage: opts.homepage ?? null,
      language: opts.language ?? null,
      topics: opts.topics ?? [],
      archived: opts.archived ?? false,
      disabled: opts.disabled ?? false,
      fork: opts.fork ?? false,
      isTemplate: opts.isTemplate ?? false,
      size: opts.size ?? 0,
      stargazersCount: opts.stargazersCount ?? 0,
      openIssuesCount: opts.openIssuesCount ?? 0,
      createdAt: toMs(opts.createdAt, now),
      updatedAt: now,
      pushedAt: toMs(opts.pushedAt, toMs(opts.createdAt, now)),
    };
    this.repositories.set(id, repo);
    if (!installation.repositoryIds.includes(id)) installation.repositoryIds.push(id);
    return repo;
  }

  removeRepository(installationId: number, repoId: number): void {
    const installation = this.requireInstallation(installationId);
    const index = installation.repositoryIds.indexOf(repoId);
    if (index < 0) throw new Error(`repository ${repoId} is not in installation ${installationId}`);
    installation.repositoryIds.splice(index, 1);
  }

  requireRepository(id: number): RepositoryRecord {
    const repo = this.repositories.get(id);
    if (!repo) throw new Error(`no repository ${id}`);
    return repo;
  }

  addUser(opts: AddUserOptions): AccountRecord {
    const user = this.ensureAccount({ login: opts.login, id: opts.id, type: 'User' });
    if (opts.email !== undefined) user.email = opts.email;
    if (opts.name !== undefined) user.name = opts.name;
    if (opts.avatarUrl !== undefined) user.avatarUrl = opts.avatarUrl;
    return user;
  }

  requireUser(login: string): AccountRecord {
    const user = this.findAccount(login);
    if (!user || user.type !== 'User') throw new Error(`no user ${login}: call fake.addUser() first`);
    return user;
  }

  grantInstallation(login: string, installationId: number): void {
    const user = this.requireUser(login);
    this.requireInstallation(installationId);
    const granted = this.userInstallations.get(user.id) ?? new Set<number>();
    granted.add(installationId);
    this.userInstallations.set(user.id, granted);
  }

  /** Takes an installation out of what `login` can reach (removed from the organization or the repositories). */
  revokeInstallation(login: string, installationId: number): void {
    this.userInstallations.get(this.requireUser(login).id)?.delete(installationId);
  }

  /** `login` revokes their authorization of an app: its user and refresh tokens stop working. */
  revokeAuthorization(login: string, appId: number): void {
    const userId = this.requireUser(login).id;
    for (const [token, record] of this.userTokens) if (record.userId === userId && record.appId === appId) this.userTokens.delete(token);
    for (const [token, record] of this.refreshTokens) if (record.userId === userId && record.appId === appId) this.refreshTokens.delete(token);
  }

  /** Every user access token expires now (refresh tokens keep working), as 8 hours passing would. */
  expireUserTokens(): void {
    for (const record of this.userTokens.values()) if (record.expiresAt !== null) record.expiresAt = Date.now() - 1;
  }

  /** Repositories an installation token can see (narrowed tokens lose repos removed since). */
  tokenRepositories(token: InstallationTokenRecord): RepositoryRecord[] {
    const installation = this.installations.get(token.installationId);
    if (!installation) return [];
    const ids = token.repositoryIds ? installation.repositoryIds.filter((id) => token.repositoryIds?.includes(id)) : installation.repositoryIds;
    return ids.map((id) => this.repositories.get(id)).filter((r): r is RepositoryRecord => r !== undefined);
  }

  issueInstallationToken(installation: InstallationRecord, permissions: Permissions, repositoryIds: number[] | null): InstallationTokenRecord {
    const record: InstallationTokenRecord = {
      token: githubToken('ghs'),
      installationId: installation.id,
      appId: installation.appId,
      expiresAt: Date.now() + INSTALLATION_TOKEN_TTL_MS,
      permissions,
      repositorySelection: repositoryIds ? 'selected' : installation.repositorySelection,
      repositoryIds,
    };
    this.installationTokens.set(record.token, record);
    this.tokensIssued += 1;
    return record;
  }

  issueUserToken(app: AppRecord, userId: number): UserTokenRecord {
    const now = Date.now();
    const record: UserTokenRecord = app.expiringUserTokens
      ? { token: githubToken('ghu'), userId, appId: app.id, expiresAt: now + 8 * 3600_000, refreshToken: githubToken('ghr'), refreshTokenExpiresAt: now + 184 * 86400_000 }
      : { token: githubToken('gho'), userId, appId: app.id, expiresAt: null, refreshToken: null, refreshTokenExpiresAt: null };
    this.userTokens.set(record.token, record);
    if (record.refreshToken) this.refreshTokens.set(record.refreshToken, record);
    return record;
  }

  /** The id of the next hook delivery (GitHub's are large integers). */
  nextDeliveryId(): number {
    return this.deliveryIds.take(() => false);
  }

  /** Creates a single-use code (20 hex chars, valid 10 minutes like GitHub's). */
  newCode(): string {
    return hex(10);
  }
}
