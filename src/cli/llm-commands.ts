/**
 * `switchyard llm usage --by day|model|agent|project|agent_type`, `llm budgets`,
 * `llm prices check <model>` and `llm reprice`: straight from the database, as the operator
 * (every installation). Reports read the daily roll-up only. Money is shown in USD.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Config } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { createSwitchyard, type Switchyard } from '../app.js';
import { budgetViews, usageReport } from '../llm/index.js';
import { checkPrice } from '../llm/routes.js';
import { usd } from '../llm/errors.js';
import { utcDate } from '../llm/periods.js';

/** Where a command writes; tests pass their own. */
export interface LlmIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

type App = Pick<Switchyard, 'db' | 'llm'>;
const BY = ['day', 'model', 'agent', 'project', 'agent_type'] as const;
type By = (typeof BY)[number];

/** Columns padded to their widest cell; numbers right-aligned. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (/^[$\d.,%-]+$/.test(c) && i > 0 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

const n = (v: number) => v.toLocaleString('en-US');

export async function runLlmUsage(app: App, opts: { by: By; from?: string; to?: string; json?: boolean }, io: LlmIo): Promise<number> {
  const now = app.llm.manage.now();
  const to = opts.to ?? utcDate(now);
  const from = opts.from ?? utcDate(new Date(now.getTime() - 29 * 86_400_000));
  const rows = await usageReport(app.db.kysely, { by: opts.by, from, to, limit: 1000 });
  if (opts.json) {
    io.out(JSON.stringify({ by: opts.by, from, to, items: rows.map((r) => ({ ...r, cost_usd: usd(r.cost_nano_usd) })) }, null, 2));
    return 0;
  }
  if (rows.length === 0) {
    io.out(`No LLM usage from ${from} to ${to}.`);
    return 0;
  }
  const total = rows.reduce((a, r) => ({ calls: a.calls + r.calls, input: a.input + r.input_tokens, output: a.output + r.output_tokens, cost: a.cost + r.cost_nano_usd, unpriced: a.unpriced + r.unpriced_calls }), { calls: 0, input: 0, output: 0, cost: 0, unpriced: 0 });
  io.out(
    table([
      [opts.by.toUpperCase(), 'CALLS', 'INPUT', 'CACHED', 'OUTPUT', 'COST', 'UNPRICED'],
      ...rows.map((r) => [r.key || '(none)', n(r.calls), n(r.input_tokens), n(r.cache_read_tokens), n(r.output_tokens), `$${usd(r.cost_nano_usd)}`, r.unpriced_calls ? n(r.unpriced_calls) : '-']),
      ['TOTAL', n(total.calls), n(total.input), '', n(total.output), `$${usd(total.cost)}`, total.unpriced ? n(total.unpriced) : '-'],
    ]),
  );
  if (total.unpriced > 0) io.err(`${total.unpriced} call(s) have no price yet: add a price override, then run \`switchyard llm reprice\`.`);
  return 0;
}

export async function runLlmBudgets(app: App, opts: { json?: boolean }, io: LlmIo): Promise<number> {
  const budgets = await budgetViews(app.llm.manage);
  if (opts.json) {
    io.out(JSON.stringify(budgets, null, 2));
    return 0;
  }
  if (budgets.length === 0) {
    io.out('No budgets. Add one with POST /api/llm/budgets.');
    return 0;
  }
  io.out(
    table([
      ['BUDGET', 'SCOPE', 'PERIOD', 'ACTION', 'AMOUNT', 'SPENT', 'RESERVED', 'REMAINING', 'USED', 'RESETS'],
      ...budgets.map((b) => [
        b.name ?? b.id.slice(0, 8),
        b.scope === 'global' ? 'global' : `${b.scope}:${b.scope_key}`,
        b.period,
        b.enabled ? b.action_on_exceed : `${b.action_on_exceed} (off)`,
        `$${usd(b.amount_nano_usd)}`,
        `$${usd(b.spent_nano_usd)}`,
        `$${usd(b.reserved_nano_usd)}`,
        `$${usd(b.remaining_nano_usd)}`,
        b.amount_nano_usd > 0 ? `${Math.round(((b.spent_nano_usd + b.reserved_nano_usd) / b.amount_nano_usd) * 100)}%` : '-',
        b.resets_at.slice(0, 16).replace('T', ' '),
      ]),
    ]),
  );
  return 0;
}

export async function runLlmPricesCheck(app: App, model: string, opts: { provider?: string; json?: boolean }, io: LlmIo): Promise<number> {
  const r = await checkPrice({ db: app.db, prices: app.llm.prices }, model, opts.provider, app.llm.manage.now());
  if (opts.json) {
    io.out(JSON.stringify(r, null, 2));
    return r.priced ? 0 : 1;
  }
  if (!r.priced) {
    io.out(`${model}: no price known${opts.provider ? ` for provider ${opts.provider}` : ''}. Calls to it are refused under block budgets; add an override (POST /api/llm/prices).`);
    return 1;
  }
  const per = (v: number | null) => (v === null ? '-' : `$${v}`);
  io.out(`${model}: ${r.source}`);
  io.out(`  input ${per(r.input_usd_per_mtok)}/Mtok, output ${per(r.output_usd_per_mtok)}/Mtok, cache read ${per(r.cache_read_usd_per_mtok)}/Mtok, cache write ${per(r.cache_write_usd_per_mtok)}/Mtok`);
  io.out(`  max output ${r.max_output_tokens ?? 'unknown'} tokens, context window ${r.context_window ?? 'unknown'} tokens`);
  return 0;
}

export async function runLlmReprice(app: App, io: LlmIo): Promise<number> {
  const r = await app.llm.reprice();
  io.out(`Repriced ${r.repriced} call(s); ${r.stillUnpriced} still without a price.`);
  return r.stillUnpriced > 0 ? 1 : 0;
}

const isoDate = (v: string) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) throw new InvalidArgumentError('must be a date, YYYY-MM-DD');
  return v;
};

export function registerLlmCommands(program: Command, configOrExit: () => Promise<Config>): void {
  const withApp = async (fn: (app: Switchyard) => Promise<number>) => {
    const config = await configOrExit();
    const app = await createSwitchyard(config, createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel));
    try {
      process.exitCode = await fn(app);
    } finally {
      await app.stop();
    }
  };
  const io: LlmIo = { out: (t) => console.log(t), err: (t) => console.error(t) };
  const llm = program.command('llm').description('LLM usage, budgets and prices');
  llm
    .command('usage')
    .description('token usage and cost (from the daily roll-up)')
    .option('--by <what>', `group by ${BY.join('|')}`, (v: string) => {
      if (!(BY as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${BY.join(', ')}`);
      return v as By;
    }, 'day' as By)
    .option('--from <date>', 'first day (UTC), default 30 days ago', isoDate)
    .option('--to <date>', 'last day (UTC), default today', isoDate)
    .option('--json', 'JSON output')
    .action(async (opts: { by: By; from?: string; to?: string; json?: boolean }) => withApp((app) => runLlmUsage(app, opts, io)));
  llm
    .command('budgets')
    .description('budgets with what is spent, reserved and left this period')
    .option('--json', 'JSON output')
    .action(async (opts: { json?: boolean }) => withApp((app) => runLlmBudgets(app, opts, io)));
  llm
    .command('prices')
    .description('prices')
    .command('check <model>')
    .description('the price in force now for a model, and where it comes from (exit 1 when unpriced)')
    .option('--provider <provider>', 'an LLM provider (name or id) or a genai-prices provider id')
    .option('--json', 'JSON output')
    .action(async (model: string, opts: { provider?: string; json?: boolean }) => withApp((app) => runLlmPricesCheck(app, model, opts, io)));
  llm
    .command('reprice')
    .description('price calls recorded without a price, now that one is known (exit 1 while some stay unpriced)')
    .action(async () => withApp((app) => runLlmReprice(app, io)));
}
