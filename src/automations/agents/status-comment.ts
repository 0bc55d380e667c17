/** The one status comment: the plan as a checklist with each task's progress, the pull request and the cost. */
import type { ConversationRow, TaskRow } from './repo.js';

/** USD from nano-dollars, as people read it. */
export function formatUsd(nano: number): string {
  const usd = Number(nano) / 1e9;
  return `$${usd < 0.01 && usd > 0 ? usd.toFixed(4) : usd.toFixed(2)}`;
}

const STATUS_TEXT: Record<string, string> = {
  pending: 'pending',
  in_progress: 'in progress',
  testing: 'testing',
  review: 'in review',
  completed: 'completed',
  failed: 'failed',
};

export function renderStatus(c: ConversationRow, tasks: TaskRow[]): string {
  const plan = tasks.find((t) => t.position === 0);
  const items = tasks.filter((t) => t.position > 0);
  const lines = [`### Switchyard agents`, '', `**Status:** ${c.status} · **Cost:** ${formatUsd(Number(c.total_cost_nano))} · **Tokens:** ${Number(c.total_tokens).toLocaleString('en-US')}`];
  if (c.pr_number !== null) lines.push(`**Pull request:** #${c.pr_number} (draft)`);
  lines.push('');
  if (!plan || plan.status !== 'completed') {
    lines.push(plan?.status === 'failed' ? `Planning failed: ${plan.error_message ?? ''}` : 'Planning…');
  } else {
    if (plan.result) lines.push(plan.result, '');
    for (const t of items) {
      const wait = t.waiting_on ? ` — waiting on ${t.waiting_on}` : '';
      const rounds = t.test_rounds + t.review_rounds > 0 ? ` (test rounds ${t.test_rounds}, review rounds ${t.review_rounds})` : '';
      lines.push(`- [${t.status === 'completed' ? 'x' : ' '}] ${t.position}. ${t.title} — _${t.agent_type}_, ${STATUS_TEXT[t.status] ?? t.status}${wait}${rounds} · ${formatUsd(Number(t.cost_nano))}`);
    }
  }
  if (c.status === 'cancelled') lines.push('', 'Stopped with `/switchyard stop`.');
  lines.push('', '<sub>Comment `/switchyard stop` to cancel. Agents never approve, merge or mark a pull request ready.</sub>');
  return lines.join('\n');
}
