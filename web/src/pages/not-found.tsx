import { Link } from 'react-router';
import { PageHeader } from '../components/page';

export function NotFoundPage() {
  return (
    <div className="not-found">
      <PageHeader title="Page not found" eyebrow="404" />
      <p>There is no page at this address. It may have moved, or the link may be mistyped.</p>
      <p className="row">
        <Link to="/" className="button primary">
          Go to the overview
        </Link>
        <Link to="/events" className="button">
          Open the event log
        </Link>
      </p>
    </div>
  );
}
