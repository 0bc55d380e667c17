/** Small, realistic payload builders for processing tests (shaped like GitHub's own examples). */
export const repo = (id = 1001, fullName = 'acme/widgets') => ({
  id,
  node_id: 'R_x',
  name: fullName.split('/')[1],
  full_name: fullName,
  private: false,
  owner: { login: fullName.split('/')[0], id: 9, type: 'Organization' },
  html_url: `https://github.com/${fullName}`,
  default_branch: 'main',
  language: 'TypeScript',
  size: 120,
  stargazers_count: 3,
  watchers_count: 3,
  archived: false,
  fork: false,
  updated_at: '2026-01-01T00:00:00Z',
  pushed_at: '2026-01-01T00:00:00Z',
});

export const installation = { id: 555, node_id: 'I_x' };
export const sender = { login: 'octocat', id: 1 };

export function pullRequest(action: string, o: { number?: number; state?: 'open' | 'closed'; merged?: boolean; updatedAt: string; headSha?: string; title?: string }) {
  const merged = o.merged ?? false;
  return {
    action,
    number: o.number ?? 7,
    pull_request: {
      id: 90000 + (o.number ?? 7),
      number: o.number ?? 7,
      title: o.title ?? 'Add a widget',
      state: o.state ?? 'open',
      draft: false,
      user: { login: 'octocat' },
      head: { sha: o.headSha ?? 'a'.repeat(40), ref: 'feature' },
      base: { ref: 'main' },
      html_url: 'https://github.com/acme/widgets/pull/7',
      merged,
      merged_at: merged ? o.updatedAt : null,
      closed_at: o.state === 'closed' ? o.updatedAt : null,
      created_at: '2026-01-01T00:00:00Z',
      updated_at: o.updatedAt,
    },
    repository: repo(),
    installation,
    sender,
  };
}

export function checkRun(action: string, o: { id: number; name?: string; status: string; conclusion?: string | null; headSha?: string; prNumbers?: number[] }) {
  return {
    action,
    check_run: {
      id: o.id,
      name: o.name ?? 'build',
      head_sha: o.headSha ?? 'a'.repeat(40),
      status: o.status,
      conclusion: o.conclusion ?? null,
      started_at: '2026-01-02T00:00:00Z',
      completed_at: o.status === 'completed' ? '2026-01-02T00:05:00Z' : null,
      output: { title: null, summary: null },
      check_suite: { id: 3333 },
      app: { slug: 'github-actions' },
      pull_requests: (o.prNumbers ?? []).map((n) => ({ number: n, id: 90000 + n })),
    },
    repository: repo(),
    installation,
    sender,
  };
}
