/** CI triage: a failure's category as a badge, and its recommended action in words. */
import { Badge, type Tone } from './status-badge';

const CATEGORY_TONES: Record<string, Tone> = {
  compilation: 'danger',
  test_failure: 'danger',
  type_check: 'danger',
  lint_format: 'danger',
  security_scan: 'danger',
  infrastructure: 'warning',
  network_timeout: 'warning',
  flaky: 'warning',
  dependency_resolution: 'info',
  configuration: 'info',
  credentials_permissions: 'info',
  unknown: 'neutral',
};

const CATEGORY_LABELS: Record<string, string> = {
  compilation: 'compilation',
  test_failure: 'test failure',
  type_check: 'type check',
  lint_format: 'lint / format',
  security_scan: 'security scan',
  infrastructure: 'infrastructure',
  network_timeout: 'network timeout',
  flaky: 'flaky',
  dependency_resolution: 'dependencies',
  configuration: 'configuration',
  credentials_permissions: 'credentials',
  unknown: 'unknown',
};

export const categoryLabel = (category: string) => CATEGORY_LABELS[category] ?? category.replaceAll('_', ' ');

/** The category of a diagnosed failure (colour plus text); "not diagnosed" when there is none. */
export function CategoryBadge({ category }: { category: string | null | undefined }) {
  if (!category) return <span className="muted small">not diagnosed</span>;
  return (
    <Badge tone={CATEGORY_TONES[category] ?? 'neutral'} title={`Category: ${categoryLabel(category)}`}>
      {categoryLabel(category)}
    </Badge>
  );
}

const ACTIONS: Record<string, string> = {
  rerun: 'Re-run the check',
  fix_code: 'Fix the code',
  update_dependency: 'Update a dependency',
  fix_configuration: 'Fix the CI configuration',
  contact_admin: 'Ask an administrator',
  none: 'Nothing to do',
};

export const actionLabel = (action: string) => ACTIONS[action] ?? action.replaceAll('_', ' ');

const FIX_TONES: Record<string, Tone> = { requested: 'progress', succeeded: 'success', failed: 'danger', error: 'warning' };

export function FixStatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={FIX_TONES[status] ?? 'neutral'} dot>
      {status}
    </Badge>
  );
}
