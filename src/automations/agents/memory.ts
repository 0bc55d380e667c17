/**
 * Agent memory: facts agents (or administrators) saved about a project — its test command, its
 * conventions, its pitfalls — with an importance from 1 to 10 and an optional expiry. The most
 * important unexpired facts join each call as quoted data, within a budget of about 1,500 tokens
 * (counted as four characters a token); expired ones are purged daily.
 */

export const MEMORY_TOKEN_BUDGET = 1500;

export interface MemoryFact {
  category: string;
  key: string;
  value: string;
  importance: number;
  expires_at: string | null;
}

/** The lines that fit: most important first (ties: the order given), skipping expired facts. */
export function selectMemory(facts: MemoryFact[], now: string, budgetTokens = MEMORY_TOKEN_BUDGET): string[] {
  const live = facts.filter((f) => f.expires_at === null || f.expires_at > now);
  const sorted = live.map((f, i) => ({ f, i })).sort((a, b) => b.f.importance - a.f.importance || a.i - b.i);
  const lines: string[] = [];
  let tokens = 0;
  for (const { f } of sorted) {
    const line = `[${f.category}] ${f.key}: ${f.value} (importance ${f.importance})`;
    const cost = Math.ceil(line.length / 4) + 1;
    if (tokens + cost > budgetTokens) continue;
    tokens += cost;
    lines.push(line);
  }
  return lines;
}
