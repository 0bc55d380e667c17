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

/**
 * `hookUrl`: where GitHub sends deliveries — Switchyard's own webhook URL, or a forwarding channel
 * (smee.io) when GitHub cannot reach PUBLIC_URL. After an installation GitHub returns the person to
 * the setup wizard (`setup_url`), which carries on with signing in.
 */
export function buildAppManifest(publicUrl: string, name = 'Switchyard', hookUrl = `${publicUrl}/api/github/webhooks`): Record<string, unknown> {
  return {
    name,
    url: publicUrl,
    description: 'Self-hosted Switchyard: durable webhooks, GitHub state and automations.',
    hook_attributes: { url: hookUrl, active: true },
    redirect_url: `${publicUrl}/setup/callback`,
    callback_urls: [`${publicUrl}/api/auth/github/callback`],
    setup_url: `${publicUrl}/setup?installed=1`,
    setup_on_update: false,
    public: false,
    request_oauth_on_install: false,
    default_permissions: APP_PERMISSIONS,
    default_events: APP_EVENTS,
  };
}
