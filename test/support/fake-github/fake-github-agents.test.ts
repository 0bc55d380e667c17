/** The fake's issues events built by the agents' helpers are valid against GitHub's `x-webhooks` schemas. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCommentPayload, issuesPayload, startFakeGitHub, webhookPayloadErrors, type FakeGitHub } from './index.js';

describe('issues and issue_comment payloads', () => {
  let fake: FakeGitHub;
  beforeAll(async () => {
    fake = await startFakeGitHub();
    fake.createApp({ permissions: { metadata: 'read', issues: 'write' }, events: ['issues', 'issue_comment'] });
  });
  afterAll(async () => {
    await fake.close();
  });

  it('labeled, assigned and a comment match the description', () => {
    const inst = fake.addInstallation({ account: { login: 'acme', type: 'Organization' } });
    const repo = fake.addRepository(inst.id, { name: 'widgets' });
    fake.addUser({ login: 'alice' });
    const issue = fake.addIssue(repo.id, { title: 'Do it', body: 'please', user: 'alice', labels: ['switchyard'], assignees: ['alice'] });
    const n = Number(issue.number);
    expect(webhookPayloadErrors('issues', issuesPayload(fake, inst.id, repo.id, n, 'labeled', { sender: 'alice', label: 'switchyard' }))).toEqual([]);
    expect(webhookPayloadErrors('issues', issuesPayload(fake, inst.id, repo.id, n, 'assigned', { sender: 'alice', assignee: 'alice' }))).toEqual([]);
    expect(webhookPayloadErrors('issue_comment', issueCommentPayload(fake, inst.id, repo.id, n, '/switchyard', { sender: 'alice' }))).toEqual([]);
    // And the check can fail: an issue without its number is not an `issues` event.
    const broken = issuesPayload(fake, inst.id, repo.id, n, 'labeled', { sender: 'alice', label: 'switchyard' });
    delete (broken.issue as Record<string, unknown>).number;
    expect(webhookPayloadErrors('issues', broken)).not.toEqual([]);
  });
});
