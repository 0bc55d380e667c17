/** Subscribes the state projection to the events it understands, through the automation registry. */
import type { Dialect } from '../db/index.js';
import type { AutomationRegistry } from '../automations/registry.js';
import { installationLinkProjector, projectInstallation, projectInstallationRepositories } from './project-installation.js';
import { projectPush, projectRepositoryEvent, projectRepositoryMetadata } from './project-repository.js';
import { pullRequestProjector } from './project-pull-request.js';
import { projectCheckRun, projectCheckSuite, projectWorkflowJob, projectWorkflowRun } from './project-checks.js';
import { projectIssue } from './project-issue.js';

/** The events the projection writes state for; every other event is only logged. */
export const PROJECTED_EVENTS = [
  'installation',
  'installation_repositories',
  'repository',
  'push',
  'pull_request',
  'check_suite',
  'check_run',
  'workflow_run',
  'workflow_job',
  'issues',
  'star',
  'watch',
] as const;

export function registerStateProjection(registry: AutomationRegistry, deps: { dialect: Dialect }): void {
  // Order matters: repository metadata first, so later projectors see the repository row current.
  // star and watch need nothing more: their payload's repository carries the new counts.
  registry.project('state.repository-metadata', '*', projectRepositoryMetadata);
  registry.project('state.installation-link', '*', installationLinkProjector());
  registry.project('state.installation', 'installation', projectInstallation);
  registry.project('state.installation-repositories', 'installation_repositories', projectInstallationRepositories);
  registry.project('state.repository', 'repository', projectRepositoryEvent);
  registry.project('state.push', 'push', projectPush);
  registry.project('state.pull-request', 'pull_request', pullRequestProjector(deps.dialect));
  registry.project('state.check-suite', 'check_suite', projectCheckSuite);
  registry.project('state.check-run', 'check_run', projectCheckRun);
  registry.project('state.workflow-run', 'workflow_run', projectWorkflowRun);
  registry.project('state.workflow-job', 'workflow_job', projectWorkflowJob);
  registry.project('state.issue', 'issues', projectIssue);
}
