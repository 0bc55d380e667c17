/** The signed-in person's account: profile, GitHub access (when last confirmed), two-factor, password, sessions, personal API tokens and notification channels. */
import { useViewer } from '../../auth/session';
import { PageHeader } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { RelativeTime } from '../../components/time';
import { GitHubAccessSection } from './github-access';
import { NotificationChannelsSection } from './notification-channels';
import { PasswordSection } from './password';
import { SessionsSection } from './sessions';
import { TokensSection } from './tokens';
import { TwoFactorSection } from './two-factor';

export function AccountPage() {
  const me = useViewer();
  const user = me.user;
  if (!user) {
    return (
      <>
        <PageHeader title="Account" />
        <p>You are using the operator token, which has no account. Sign in as a person to manage an account.</p>
      </>
    );
  }
  return (
    <>
      <PageHeader
        title="Account"
        subtitle={
          <span className="row wrap">
            <span>
              Signed in as <strong>{user.username}</strong>
              {user.name && <> ({user.name})</>}
            </span>
            {me.is_admin && <Badge tone="info">administrator</Badge>}
            {user.github_id && <Badge>GitHub account</Badge>}
            <span className="muted">
              member since <RelativeTime iso={user.created_at} />
            </span>
          </span>
        }
      />
      <div className="account-grid">
        {user.github_id !== null && <GitHubAccessSection checkedAt={user.access_checked_at} installations={me.installation_ids} isAdmin={me.is_admin} />}
        <TwoFactorSection enabled={user.is_2fa_enabled} recoveryCodesLeft={me.recovery_codes_left} />
        <PasswordSection hasPassword={user.has_password} />
        <SessionsSection />
        <TokensSection />
        <NotificationChannelsSection />
      </div>
    </>
  );
}
