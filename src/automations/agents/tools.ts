/**
 * The tools agents may call. Each is Switchyard's code acting on the worktree: reading files
 * (everyone with tools), writing files and running the project's declared commands in the sandbox
 * (the coder), remembering facts. Paths stay inside the worktree; `.git` and `.github/workflows`
 * are refused. Everything a tool returns from the repository or a command is quoted as data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { LlmToolCall, LlmToolDefinition } from '../../llm/contract.js';
import { runSandboxed, SandboxUnavailable, type SandboxKind } from './sandbox.js';
import type { ProjectCommands } from './schema.js';
import { quoteUntrusted } from './untrusted.js';
import { listFiles, type Worktree } from './worktree.js';

const readArgs = z.object({ path: z.string().min(1).max(500) });
const listArgs = z.object({ path: z.string().max(500).optional() });
const writeArgs = z.object({ path: z.string().min(1).max(500), content: z.string().max(1_000_000) });
const runArgs = z.object({ command: z.enum(['install', 'test', 'lint']) });
const rememberArgs = z.object({ category: z.string().min(1).max(50), key: z.string().min(1).max(200), value: z.string().min(1).max(2000), importance: z.number().int().min(1).max(10), expires_in_days: z.number().int().min(1).max(365).optional() });

const def = (name: string, description: string, schema: z.ZodType): LlmToolDefinition => ({ name, description, parameters: z.toJSONSchema(schema) as Record<string, unknown> });

export const READ_TOOLS: LlmToolDefinition[] = [
  def('list_files', 'List the tracked files of the repository (optionally under a directory).', listArgs),
  def('read_file', 'Read one file of the repository (returned as data).', readArgs),
  def('remember', 'Remember a fact about this project for later tasks (conventions, commands, pitfalls).', rememberArgs),
];

export const WRITE_TOOLS: LlmToolDefinition[] = [
  ...READ_TOOLS,
  def('write_file', 'Create or replace a file of the repository with the given content. Files under .github/workflows cannot be changed.', writeArgs),
  def('run_command', "Run one of the project's declared commands (install, test, lint) in a sandbox without network; returns its exit code and output.", runArgs),
];

/** A path inside the worktree, or a refusal. */
export function resolveInside(root: string, rel: string, o: { read?: boolean } = {}): { ok: true; abs: string; rel: string } | { ok: false; why: string } {
  const norm = path.posix.normalize(rel.replace(/\\/g, '/')).replace(/^(\.\/)+/, '');
  if (path.posix.isAbsolute(norm) || norm === '..' || norm.startsWith('../')) return { ok: false, why: 'the path must stay inside the repository' };
  const parts = norm.split('/');
  if (parts.some((p) => p.toLowerCase() === '.git')) return { ok: false, why: '.git is not editable' };
  if (!o.read && /^\.github\/workflows(\/|$)/i.test(norm)) return { ok: false, why: 'files under .github/workflows may not be changed by agents' };
  const abs = path.join(root, norm);
  // No symlink may lead out of the worktree.
  let real: string;
  try {
    real = fs.realpathSync(fs.existsSync(abs) ? abs : path.dirname(abs));
  } catch {
    real = path.dirname(abs);
  }
  const rootReal = fs.realpathSync(root);
  if (real !== rootReal && !real.startsWith(`${rootReal}${path.sep}`)) return { ok: false, why: 'the path leads outside the repository' };
  return { ok: true, abs, rel: norm };
}

export interface ToolContext {
  worktree: Worktree;
  commands: ProjectCommands;
  sandbox: SandboxKind;
  /** The wall clock of a command (see commandWallMs). */
  wallMs: number;
  canWrite: boolean;
  remember(m: { category: string; key: string; value: string; importance: number; expiresInDays?: number }): Promise<void>;
  signal?: AbortSignal;
}

export interface ToolOutcome {
  content: string;
  /** True when the worktree may have changed (write_file, run_command). */
  changed: boolean;
}

/** Runs one tool call; a bad call becomes an error message for the model, never an exception. */
export async function runTool(ctx: ToolContext, call: LlmToolCall): Promise<ToolOutcome> {
  let raw: unknown;
  try {
    raw = JSON.parse(call.arguments || '{}');
  } catch {
    return { content: `error: the arguments of ${call.name} are not JSON`, changed: false };
  }
  const root = ctx.worktree.dir;
  switch (call.name) {
    case 'list_files': {
      const a = listArgs.safeParse(raw);
      if (!a.success) return { content: `error: ${a.error.issues[0]?.message ?? 'bad arguments'}`, changed: false };
      const under = a.data.path ? resolveInside(root, a.data.path) : null;
      if (under && !under.ok) return { content: `error: ${under.why}`, changed: false };
      const files = await listFiles(ctx.worktree, under?.rel ?? '');
      return { content: quoteUntrusted('repository file list', files.slice(0, 1000).join('\n') + (files.length > 1000 ? `\n… ${files.length - 1000} more` : '')), changed: false };
    }
    case 'read_file': {
      const a = readArgs.safeParse(raw);
      if (!a.success) return { content: `error: ${a.error.issues[0]?.message ?? 'bad arguments'}`, changed: false };
      const p = resolveInside(root, a.data.path, { read: true });
      if (!p.ok) return { content: `error: ${p.why}`, changed: false };
      if (!fs.existsSync(p.abs) || !fs.statSync(p.abs).isFile()) return { content: `error: no file ${a.data.path}`, changed: false };
      const text = fs.readFileSync(p.abs, 'utf8');
      return { content: quoteUntrusted(`repository file ${a.data.path}`, text, 100_000), changed: false };
    }
    case 'remember': {
      const a = rememberArgs.safeParse(raw);
      if (!a.success) return { content: `error: ${a.error.issues[0]?.message ?? 'bad arguments'}`, changed: false };
      await ctx.remember({ category: a.data.category, key: a.data.key, value: a.data.value, importance: a.data.importance, expiresInDays: a.data.expires_in_days });
      return { content: 'remembered', changed: false };
    }
    case 'write_file': {
      if (!ctx.canWrite) return { content: 'error: this agent may only read', changed: false };
      const a = writeArgs.safeParse(raw);
      if (!a.success) return { content: `error: ${a.error.issues[0]?.message ?? 'bad arguments'}`, changed: false };
      const p = resolveInside(root, a.data.path);
      if (!p.ok) return { content: `refused: ${p.why}`, changed: false };
      fs.mkdirSync(path.dirname(p.abs), { recursive: true });
      fs.writeFileSync(p.abs, a.data.content);
      return { content: `wrote ${p.rel} (${Buffer.byteLength(a.data.content)} bytes)`, changed: true };
    }
    case 'run_command': {
      if (!ctx.canWrite) return { content: 'error: this agent may not run commands', changed: false };
      const a = runArgs.safeParse(raw);
      if (!a.success) return { content: `error: ${a.error.issues[0]?.message ?? 'bad arguments'}`, changed: false };
      const line = ctx.commands[a.data.command];
      if (!line) return { content: `error: the project declares no ${a.data.command} command`, changed: false };
      let r;
      try {
        r = await runSandboxed({ kind: ctx.sandbox, workDir: root, command: line, signal: ctx.signal, limits: { wallMs: ctx.wallMs } });
      } catch (err) {
        if (err instanceof SandboxUnavailable) return { content: `refused: ${err.message}`, changed: false };
        throw err;
      }
      return { content: `exit code: ${r.exitCode ?? 'none'}${r.timedOut ? ' (stopped at the time limit)' : ''}\n${quoteUntrusted(`output of the ${a.data.command} command`, r.output)}`, changed: true };
    }
    default:
      return { content: `error: there is no tool ${call.name}`, changed: false };
  }
}
