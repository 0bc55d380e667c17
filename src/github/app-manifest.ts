/**
 * The GitHub App manifest the setup wizard posts to GitHub
 * (https://docs.github.com/apps/sharing-github-apps/registering-a-github-app-from-a-manifest):
 * webhook, OAuth callback and setup URLs under PUBLIC_URL, and the permissions and events
 * Switchyard's capabilities use.
 */

export const APP_PERMISSIONS: Record<string, 'read' | 'write'> = {
  metadata: 'read',
  contents: 'read',
  pull_requests: 'write',
  issues: 'write',
  checks: 'write',
  actions: 'write',
  statuses: 'read',
  // Organization members: the organization and membership events, so access follows GitHub (src/access).
  members: 'read',
};

export const APP_EVENTS = [
  'check_run',
  'check_suite',
  'create',
  'delete',
  'issue_comment',
  'issues',
  'member',
  'membership',
  'organization',
  'pull_request',
  'pull_request_review',
  'push',
  'release',
  'repository',
  'star',
  'status',
  'watch',
  'workflow_job',
  'workflow_run',
];

export function buildAppManifest(publicUrl: string, name = 'Switchyard'): Record<string, unknown> {
  return {
    name,
    url: publicUrl,
    description: 'Self-hosted Switchyard: durable webhooks, GitHub state and automations.',
    hook_attributes: { url: `${publicUrl}/api/github/webhooks`, active: true },
    redirect_url: `${publicUrl}/setup/callback`,
    callback_urls: [`${publicUrl}/api/auth/github/callback`],
    setup_url: `${publicUrl}/`,
    setup_on_update: false,
    public: false,
    request_oauth_on_install: false,
    default_permissions: APP_PERMISSIONS,
    default_events: APP_EVENTS,
  };
}
