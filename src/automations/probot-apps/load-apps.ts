/**
 * Finds, imports and loads the Probot apps named by SWITCHYARD_APPS and `--app`: a path (a file,
 * or a folder whose package.json says where its code is) or an installed package's name. Each app
 * gets its own Probot instance (@switchyard/probot/host). An app that cannot be loaded is left out
 * with the reason (`switchyard doctor` shows it too), unless `strict` asks to refuse to start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Logger as PinoLogger } from 'pino';
import { AppLoadError, loadHostedApp, type HostedApp, type HostRateLimits, type HostTokens } from '@switchyard/probot/host';

export interface AppSource {
  /** As configured. */
  spec: string;
  /** The app's name in Switchyard: URL-safe, unique in this process. */
  name: string;
  /** The module to import. */
  entry: string;
  /** The app's folder (its `cwd` option). */
  cwd: string;
}

export interface LoadFailure {
  spec: string;
  name: string;
  reason: string;
}

export class AppsRefused extends Error {
  readonly code = 'PROBOT_APPS_REFUSED';
}

/** Where a spec's code is; throws an Error that says why when it is nowhere. */
export function resolveAppSource(spec: string, cwd: string, taken: Set<string>): AppSource {
  const looksLikePath = spec.startsWith('.') || spec.startsWith('/') || spec.includes(path.sep) && !spec.startsWith('@');
  let entry: string;
  let appDir: string;
  let pkgName: string | undefined;
  if (looksLikePath || fs.existsSync(path.resolve(cwd, spec))) {
    const full = path.resolve(cwd, spec);
    if (!fs.existsSync(full)) throw new Error(`no file or folder at ${full}`);
    if (fs.statSync(full).isDirectory()) {
      appDir = full;
      const pkgFile = path.join(full, 'package.json');
      const pkg = fs.existsSync(pkgFile) ? (JSON.parse(fs.readFileSync(pkgFile, 'utf8')) as { name?: string; main?: string; exports?: unknown }) : {};
      pkgName = pkg.name;
      const candidates = [typeof pkg.exports === 'string' ? pkg.exports : undefined, pkg.main, 'index.js', 'index.mjs', 'index.cjs', 'lib/index.js'].filter((c): c is string => typeof c === 'string');
      const found = candidates.map((c) => path.resolve(full, c)).find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
      if (!found) throw new Error(`no entry point in ${full} (package.json "main", or index.js)`);
      entry = found;
    } else {
      entry = full;
      appDir = path.dirname(full);
    }
  } else {
    const require = createRequire(path.join(cwd, 'package.json'));
    try {
      entry = require.resolve(spec);
    } catch (err) {
      throw new Error(`package ${spec} is not installed where Switchyard runs (${cwd}): ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    pkgName = spec;
    appDir = path.dirname(entry);
  }
  const base = (pkgName ?? path.basename(looksLikePath && fs.statSync(path.resolve(cwd, spec)).isFile() ? entry.replace(/\.[cm]?[jt]s$/, '') : appDir))
    .toLowerCase()
    .replace(/^@/, '')
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60) || 'app';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  taken.add(name);
  return { spec, name, entry, cwd: appDir };
}

export interface LoadAppsDeps {
  specs: string[];
  strict: boolean;
  cwd: string;
  appId: number;
  baseUrl: string;
  tokens: HostTokens;
  rateLimits?: HostRateLimits;
  requestRetries: number;
  /** The app's pino logger (tagged with its name by the caller). */
  appLog(name: string): PinoLogger;
  addHandler(app: string, handler: (req: never, res: never) => unknown): void;
}

/** Loads every app; returns those loaded and why the others were not. */
export async function loadApps(deps: LoadAppsDeps): Promise<{ apps: Array<HostedApp & { source: AppSource }>; failures: LoadFailure[] }> {
  const taken = new Set<string>();
  const apps: Array<HostedApp & { source: AppSource }> = [];
  const failures: LoadFailure[] = [];
  for (const spec of deps.specs) {
    let source: AppSource | null = null;
    try {
      source = resolveAppSource(spec, deps.cwd, taken);
      const mod: unknown = await import(pathToFileURL(source.entry).href);
      const name = source.name;
      const hosted = await loadHostedApp({
        name,
        appFn: mod,
        cwd: source.cwd,
        appId: deps.appId,
        baseUrl: deps.baseUrl,
        tokens: deps.tokens,
        rateLimits: deps.rateLimits,
        log: deps.appLog(name),
        requestRetries: deps.requestRetries,
        addHandler: (handler) => deps.addHandler(name, handler as never),
      });
      apps.push({ ...hosted, source });
    } catch (err) {
      const reason = err instanceof AppLoadError ? err.message.replace(/^[^:]+: /, '') : `could not be imported: ${err instanceof Error ? err.message : String(err)}`;
      failures.push({ spec, name: source?.name ?? spec, reason });
    }
  }
  if (deps.strict && failures.length > 0) {
    throw new AppsRefused(`Refusing to start (--strict): ${failures.map((f) => `${f.spec}: ${f.reason}`).join('; ')}`);
  }
  return { apps, failures };
}
