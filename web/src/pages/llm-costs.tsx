/**
 * LLM costs and budgets: each budget as a bar (settled and reserved against the amount, the alert
 * threshold marked) with its action, period and reset; spend per day over the last 30 days; usage by
 * model and by agent type. Administrators can raise a budget's amount in place; others read only.
 * Money arrives as exact USD strings (from nano-dollars) and is shown as "US$ …"; an unpriced model
 * is shown as "unpriced", never $0.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { api, type Answer } from '../api/client';
import { useViewer } from '../auth/session';
import { DailyChart } from '../components/daily-chart';
import { PageHeader, Section } from '../components/page';
import { EmptyState, ErrorState, Loading, errorMessage } from '../components/states';
import { Badge } from '../components/status-badge';
import { RelativeTime } from '../components/time';
import { useInlineEdit } from '../lib/use-inline-edit';

type BudgetItem = Answer<'/api/llm/budgets'>['items'][number];
type UsageItem = Answer<'/api/llm/usage'>['items'][number];

const DAY = 86_400_000;
const PERIOD = { daily: 'Daily', weekly: 'Weekly', monthly: 'Monthly' } as const;
const SCOPE = { global: 'All calls', project: 'Project', agent: 'Agent', agent_type: 'Agent type' } as const;

/** "US$ 1.50" from the API's exact USD string. */
export const money = (usd: string) => `US$ ${usd}`;
const dollars = (v: number) => (v === 0 ? '0' : v < 0.01 ? `$${v.toPrecision(2)}` : `$${v.toFixed(2)}`);
const pct = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : part > 0 ? 100 : 0);
const pctText = (v: number) => `${v < 10 && v > 0 ? v.toFixed(1) : Math.round(v)} %`;

/** The cost of a usage row: "unpriced" when no call was priced, and the unpriced count beside a partial sum. */
function Cost({ row }: { row: Pick<UsageItem, 'calls' | 'unpriced_calls' | 'cost_usd'> }) {
  if (row.unpriced_calls > 0 && row.unpriced_calls >= row.calls) return <Badge tone="warning">unpriced</Badge>;
  return (
    <>
      {money(row.cost_usd)}
      {row.unpriced_calls > 0 && <span className="muted"> + {row.unpriced_calls.toLocaleString()} unpriced</span>}
    </>
  );
}

/** Settled and reserved against the amount, the threshold marked; announced as one meter. */
export function BudgetBar({ b }: { b: BudgetItem }) {
  const used = b.spent_nano_usd + b.reserved_nano_usd;
  const spentPct = Math.min(100, pct(b.spent_nano_usd, b.amount_nano_usd));
  const reservedPct = Math.min(100 - spentPct, pct(b.reserved_nano_usd, b.amount_nano_usd));
  const usedPct = pct(used, b.amount_nano_usd);
  const tone = usedPct >= 100 ? 'danger' : usedPct >= b.alert_threshold * 100 ? 'warning' : 'ok';
  const text = `${money(b.spent_usd)} of ${b.amount_usd} (${pctText(pct(b.spent_nano_usd, b.amount_nano_usd))})`;
  return (
    <div className="budget-bar-block">
      <div
        className={`budget-bar budget-bar-${tone}`}
        role="meter"
        aria-label={`${b.name ?? 'Budget'}: settled and reserved`}
        aria-valuemin={0}
        aria-valuemax={b.amount_nano_usd / 1e9}
        aria-valuenow={Math.min(used, b.amount_nano_usd) / 1e9}
        aria-valuetext={`${money(b.spent_usd)} settled and ${money(b.reserved_usd)} reserved of ${b.amount_usd} (${pctText(usedPct)})`}
      >
        <span className="budget-bar-spent" style={{ width: `${spentPct}%` }} />
        <span className="budget-bar-reserved" style={{ width: `${reservedPct}%` }} />
        <span className="budget-bar-threshold" style={{ left: `${b.alert_threshold * 100}%` }} title={`Alert at ${Math.round(b.alert_threshold * 100)} %`} />
      </div>
      <div className="budget-bar-legend small">
        <span className="budget-bar-text">{text}</span>
        <span className="muted">
          {b.reserved_nano_usd > 0 && <>{money(b.reserved_usd)} reserved · </>}
          {money(b.remaining_usd)} remaining · alert at {Math.round(b.alert_threshold * 100)} %
        </span>
      </div>
    </div>
  );
}

function RaiseAmount({ b, onDone }: { b: BudgetItem; onDone: () => void }) {
  const id = useId();
  const queryClient = useQueryClient();
  const [value, setValue] = useState(b.amount_usd);
  const [error, setError] = useState<string | null>(null);
  const change = useMutation({
    mutationFn: (amount: number) => api.patch('/api/llm/budgets/{id}', { path: { id: b.id }, body: { amount_usd: amount } }),
    onSuccess: async () => {
      setError(null);
      await queryClient.invalidateQueries({ queryKey: ['llm-budgets'] });
      onDone();
    },
    onError: (e) => {
      setError(errorMessage(e));
      requestAnimationFrame(() => document.getElementById(`${id}-error`)?.focus());
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const amount = Number(value);
    if (value.trim() === '' || !Number.isFinite(amount) || amount < 0) {
      setError('Enter an amount in US dollars, such as 25 or 12.50.');
      return;
    }
    change.mutate(amount);
  };
  return (
    <form className="budget-raise" onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && onDone()} noValidate>
      <div className="field">
        <label htmlFor={`${id}-amount`}>New amount (US$)</label>
        <input
          id={`${id}-amount`}
          inputMode="decimal"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          autoFocus
        />
      </div>
      <div className="button-row">
        <button type="submit" className="button primary small" disabled={change.isPending}>
          {change.isPending ? 'Saving…' : 'Save amount'}
        </button>
        <button type="button" className="button ghost small" onClick={onDone}>
          Cancel
        </button>
      </div>
      {error && (
        <p className="form-error" id={`${id}-error`} role="alert" tabIndex={-1}>
          {error}
        </p>
      )}
    </form>
  );
}

function BudgetRow({ b, admin }: { b: BudgetItem; admin: boolean }) {
  const { editing, buttonRef: raise, open, close } = useInlineEdit();
  const title = b.name ?? (b.scope === 'global' ? 'All calls' : `${SCOPE[b.scope]} ${b.scope_key}`);
  return (
    <li className="card budget-card" aria-label={title}>
      <div className="budget-card-head">
        <h3 className="budget-card-title">{title}</h3>
        <div className="row wrap small">
          <Badge tone={b.action_on_exceed === 'block' ? 'danger' : 'warning'}>{b.action_on_exceed === 'block' ? 'blocks' : 'warns'}</Badge>
          <Badge>{PERIOD[b.period]}</Badge>
          {b.scope !== 'global' && (
            <span className="muted">
              {SCOPE[b.scope]} <code>{b.scope_key}</code>
            </span>
          )}
          {!b.enabled && <Badge tone="neutral">disabled</Badge>}
        </div>
      </div>
      <BudgetBar b={b} />
      <div className="row wrap small budget-card-foot">
        <span className="muted">
          Resets <RelativeTime iso={b.resets_at} /> (period from {b.period_start})
        </span>
        {admin && !editing && (
          <button ref={raise} type="button" className="button small" onClick={open} aria-label={`Raise the amount of ${title}`}>
            Raise the amount
          </button>
        )}
      </div>
      {admin && editing && <RaiseAmount b={b} onDone={close} />}
    </li>
  );
}

function UsageTable({ caption, keyLabel, items }: { caption: string; keyLabel: string; items: UsageItem[] }) {
  if (items.length === 0) return <p className="muted">No calls in the last 30 days.</p>;
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{keyLabel}</th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              Tokens in
            </th>
            <th scope="col" className="num">
              Tokens out
            </th>
            <th scope="col" className="num">
              Cost
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((r) => (
            <tr key={r.key}>
              <td data-label={keyLabel} className="cell-primary">
                <code>{r.key || '—'}</code>
              </td>
              <td data-label="Calls" className="num">
                {r.calls.toLocaleString()}
              </td>
              <td data-label="Tokens in" className="num">
                {r.input_tokens.toLocaleString()}
              </td>
              <td data-label="Tokens out" className="num">
                {r.output_tokens.toLocaleString()}
              </td>
              <td data-label="Cost" className="num">
                <Cost row={r} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LlmCostsPage() {
  const me = useViewer();
  const [to] = useState(() => new Date().toISOString().slice(0, 10));
  const from = useMemo(() => new Date(Date.parse(`${to}T00:00:00Z`) - 29 * DAY).toISOString().slice(0, 10), [to]);
  const budgets = useQuery({ queryKey: ['llm-budgets'], queryFn: ({ signal }) => api.get('/api/llm/budgets', { signal }), refetchInterval: 10_000 });
  const byDay = useQuery({ queryKey: ['llm-usage', 'day', from, to], queryFn: ({ signal }) => api.get('/api/llm/usage', { query: { by: 'day', from, to }, signal }), refetchInterval: 30_000 });
  const byModel = useQuery({ queryKey: ['llm-usage', 'model', from, to], queryFn: ({ signal }) => api.get('/api/llm/usage', { query: { by: 'model', from, to }, signal }), refetchInterval: 30_000 });
  const byType = useQuery({ queryKey: ['llm-usage', 'agent_type', from, to], queryFn: ({ signal }) => api.get('/api/llm/usage', { query: { by: 'agent_type', from, to }, signal }), refetchInterval: 30_000 });

  const chart = useMemo(() => {
    const cost = new Map((byDay.data?.items ?? []).map((r) => [r.key, r.cost_nano_usd / 1e9]));
    const days: string[] = [];
    for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += DAY) days.push(new Date(t).toISOString().slice(0, 10));
    return { days, values: days.map((d) => cost.get(d) ?? 0) };
  }, [byDay.data, from, to]);
  const total = byDay.data?.total;

  return (
    <>
      <PageHeader title="LLM costs" subtitle="Budgets checked before every call, and what the agents spent" />
      <Section id="budgets" title="Budgets" description="Settled spend and the amount held by calls in flight, against each budget of the current period">
        {budgets.isPending ? (
          <Loading rows={3} label="Loading budgets…" />
        ) : budgets.isError ? (
          <ErrorState error={budgets.error} retry={() => void budgets.refetch()} />
        ) : budgets.data.items.length === 0 ? (
          <EmptyState title="No budgets yet">
            <p>
              Calls run without a limit. An administrator adds one with <code>POST /api/llm/budgets</code> (scope, period, <code>amount_usd</code>, <code>action_on_exceed</code>); <code>switchyard llm budgets</code> lists
              them.
            </p>
          </EmptyState>
        ) : (
          <ul className="budget-list" aria-label="Budgets">
            {budgets.data.items.map((b) => (
              <BudgetRow key={b.id} b={b} admin={me.is_admin} />
            ))}
          </ul>
        )}
      </Section>
      <Section
        id="spend"
        title="Spend per day"
        description={
          total ? (
            <>
              Last 30 days: {total.calls.toLocaleString()} calls · <Cost row={total} />
            </>
          ) : (
            'Last 30 days'
          )
        }
      >
        {byDay.isPending ? (
          <Loading rows={2} label="Loading spend…" />
        ) : byDay.isError ? (
          <ErrorState error={byDay.error} retry={() => void byDay.refetch()} />
        ) : (
          <div className="card">
            <DailyChart days={chart.days} values={chart.values} label="Spend per day (US$)" valueLabel="US$" formatValue={dollars} minTop={0.01} />
          </div>
        )}
      </Section>
      <Section id="by-model" title="By model" description="The model the provider reported, from the daily roll-up">
        {byModel.isPending ? <Loading rows={2} label="Loading usage by model…" /> : byModel.isError ? <ErrorState error={byModel.error} retry={() => void byModel.refetch()} /> : <UsageTable caption="Usage by model" keyLabel="Model" items={byModel.data.items} />}
      </Section>
      <Section id="by-agent-type" title="By agent type">
        {byType.isPending ? <Loading rows={2} label="Loading usage by agent type…" /> : byType.isError ? <ErrorState error={byType.error} retry={() => void byType.refetch()} /> : <UsageTable caption="Usage by agent type" keyLabel="Agent type" items={byType.data.items} />}
      </Section>
    </>
  );
}
