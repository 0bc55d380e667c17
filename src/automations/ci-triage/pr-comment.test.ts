/** The triage comment says what fails, why and what to do; and says so once it is resolved. */
import { describe, expect, it } from 'vitest';
import { COMMENT_MARKER, renderComment } from './pr-comment.js';

const failing = {
  name: 'build',
  githubId: 1,
  conclusion: 'failure',
  htmlUrl: 'https://github.com/acme/widgets/runs/1',
  category: 'compilation',
  confidence: 0.92,
  rootCause: 'javac could not find a symbol.',
  action: 'fix_code',
  excerpt: [{ line: 812, text: 'Foo.java:12: error: cannot find symbol' }],
  rerun: null,
};

describe('renderComment', () => {
  it('lists each failing check with its category, confidence, action and the failure lines', () => {
    const body = renderComment({ headSha: 'abcdef1234567', failing: [failing], passing: 3, pending: 1 });
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain('1 failing check on `abcdef1` (3 passing, 1 running)');
    expect(body).toContain('[build](https://github.com/acme/widgets/runs/1) — failure');
    expect(body).toContain('**compilation** (confidence 92%)');
    expect(body).toContain('Fix the code');
    expect(body).toContain('   812 | Foo.java:12: error: cannot find symbol');
  });

  it('says the diagnosis is pending before the analysis exists', () => {
    const body = renderComment({ headSha: 'abcdef1', failing: [{ ...failing, category: null, confidence: null, rootCause: null, action: null, excerpt: [] }], passing: 0, pending: 0 });
    expect(body).toContain('Diagnosis pending');
  });

  it('marks the comment resolved when nothing fails any more', () => {
    const body = renderComment({ headSha: 'abcdef1', failing: [], passing: 4, pending: 0 });
    expect(body).toContain('✅ Resolved');
    expect(body).not.toContain('❌');
  });

  it('keeps a log line from closing the code block', () => {
    const body = renderComment({ headSha: 'abcdef1', failing: [{ ...failing, excerpt: [{ line: 1, text: '```evil' }] }], passing: 0, pending: 0 });
    expect(body.match(/```/g)?.length).toBe(2);
  });
});
