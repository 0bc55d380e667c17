/** Names for the API's shapes, all derived from the generated schema. */
import type { Answer, QueryParams, RequestBody } from './client';

export type Me = Answer<'/api/me'>;
export type PublicUser = NonNullable<Me['user']>;
export type SetupStatus = Answer<'/api/setup/status'>;
export type FirstRun = Answer<'/api/setup'>;

export type EventPage = Answer<'/api/events'>;
export type EventItem = EventPage['items'][number];
export type EventDetail = Answer<'/api/events/{delivery_id}'>;
export type EventFilters = NonNullable<QueryParams<'/api/events'>>;
export type ReceiptStatus = NonNullable<EventFilters['status']>;

export type Overview = Answer<'/api/overview'>;
export type OverviewItem = Overview['items'][number];
export type RepositoryHealth = Answer<'/api/overview/{owner}/{name}'>;
export type OverviewWarning = OverviewItem['warnings'][number];
export type RepositoryItem = Answer<'/api/repositories/{owner}/{name}'>;
export type PullItem = Answer<'/api/repositories/{owner}/{name}/pulls'>['items'][number];
export type PullDetail = Answer<'/api/repositories/{owner}/{name}/pulls/{number}'>;
export type CheckRun = PullDetail['check_runs'][number];
export type StateChange = PullDetail['state_history'][number];
export type IssueItem = Answer<'/api/repositories/{owner}/{name}/issues'>['items'][number];
export type CheckSummary = Answer<'/api/repositories/{owner}/{name}/check-summary'>['items'][number];

export type SessionItem = Answer<'/api/me/sessions'>['items'][number];
export type TokenItem = Answer<'/api/me/tokens'>['items'][number];
export type UserDetail = Answer<'/api/users/{id}'>;
export type InstallationItem = Answer<'/api/installations'>['items'][number];
export type QueueOverview = Answer<'/api/admin/queue'>;
export type RecoveryRuns = Answer<'/api/admin/recovery-runs'>;

export const RECEIPT_STATUSES: ReceiptStatus[] = ['received', 'processing', 'processed', 'failed', 'dead'];

export type FailingCheckPage = Answer<'/api/checks'>;
export type FailingCheck = FailingCheckPage['items'][number];
export type CheckRunDetail = Answer<'/api/checks/{check_run_id}'>;
export type CheckAnalysis = NonNullable<CheckRunDetail['analysis']>;
export type FixAttempt = CheckRunDetail['fix_attempts'][number];

export type MirrorPage = Answer<'/api/mirror/repositories'>;
export type MirrorItem = MirrorPage['items'][number];
export type SyncStatus = MirrorItem['sync_status'];
export type SyncLogItem = Answer<'/api/mirror/repositories/{owner}/{name}/logs'>['items'][number];
export type MirrorTarget = Answer<'/api/mirror/targets'>['items'][number];
export type ConnectionTest = Answer<'/api/mirror/targets/{target}/test', 'post'>;

export type NotificationPage = Answer<'/api/notifications'>;
export type NotificationItem = NotificationPage['items'][number];
export type NewMirrorTarget = RequestBody<'/api/mirror/targets', 'post'>;
export type MirrorTargetKind = MirrorTarget['kind'];
export type MirrorRule = Answer<'/api/mirror/targets/{target}/rules'>['items'][number];
export type NewMirrorRule = RequestBody<'/api/mirror/targets/{target}/rules', 'post'>;

export type AppsPage = Answer<'/api/apps'>;
export type HostedApp = AppsPage['items'][number];
export type AppStats = HostedApp['stats'];
export type AppRun = Answer<'/api/apps/{app}/runs'>['items'][number];
export type AppRunFilters = NonNullable<QueryParams<'/api/apps/{app}/runs'>>;
export type AppRunStatus = NonNullable<AppRunFilters['status']>;
export const APP_RUN_STATUSES: AppRunStatus[] = ['queued', 'running', 'succeeded', 'retrying', 'failed', 'dead'];
