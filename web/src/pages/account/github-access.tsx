/**
 * What this GitHub account may see here and when GitHub last confirmed it. Access follows GitHub:
 * deliveries change it within seconds, and a re-check with the person's own token runs at most
 * hourly while they use Switchyard (src/access on the server).
 */
import { Section } from '../../components/page';
import { RelativeTime } from '../../components/time';

export function GitHubAccessSection({ checkedAt, installations, isAdmin }: { checkedAt: string | null; installations: number[] | null; isAdmin: boolean }) {
  return (
    <Section
      title="GitHub access"
      id="github-access"
      description="What you see here follows what you can reach on GitHub: leaving an organization or an installation there ends it here too, and revoking the App’s authorization on GitHub signs you out everywhere."
    >
      <dl className="meta card">
        <div>
          <dt>Last confirmed with GitHub</dt>
          <dd data-testid="access-checked-at">
            <RelativeTime iso={checkedAt} fallback="not yet (sign in with GitHub again)" />
          </dd>
        </div>
        <div>
          <dt>Installations you can see</dt>
          <dd>{isAdmin || installations === null ? 'all (administrator)' : installations.length === 0 ? 'none' : installations.length}</dd>
        </div>
      </dl>
    </Section>
  );
}
