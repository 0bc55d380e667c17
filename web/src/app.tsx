/** The dashboard's pages. Less-visited ones load on first use. */
import { lazy, Suspense } from 'react';
import { Route, Routes, useLocation } from 'react-router';
import { RequireAuth } from './auth/session';
import { AppShell } from './components/layout';
import { Loading } from './components/states';
import { ErrorBoundary } from './components/error-boundary';
import { EventsPage } from './pages/events';
import { NotFoundPage } from './pages/not-found';
import { OverviewPage } from './pages/overview';
import { SignInPage } from './pages/sign-in';
import { SetupPage } from './pages/setup';

const EventDetailPage = lazy(() => import('./pages/event-detail').then((m) => ({ default: m.EventDetailPage })));
const RepositoryPage = lazy(() => import('./pages/repository').then((m) => ({ default: m.RepositoryPage })));
const PullRequestPage = lazy(() => import('./pages/pull-request').then((m) => ({ default: m.PullRequestPage })));
const FailingChecksPage = lazy(() => import('./pages/checks').then((m) => ({ default: m.FailingChecksPage })));
const CheckRunPage = lazy(() => import('./pages/check-run').then((m) => ({ default: m.CheckRunPage })));
const MirrorsPage = lazy(() => import('./pages/mirrors').then((m) => ({ default: m.MirrorsPage })));
const MirrorLogPage = lazy(() => import('./pages/mirror-log').then((m) => ({ default: m.MirrorLogPage })));
const AppsPage = lazy(() => import('./pages/apps').then((m) => ({ default: m.AppsPage })));
const AppRunsPage = lazy(() => import('./pages/app-runs').then((m) => ({ default: m.AppRunsPage })));
const PetsPage = lazy(() => import('./pages/pets').then((m) => ({ default: m.PetsPage })));
const PetPage = lazy(() => import('./pages/pet').then((m) => ({ default: m.PetPage })));
const NotificationsPage = lazy(() => import('./pages/notifications').then((m) => ({ default: m.NotificationsPage })));
const AccountPage = lazy(() => import('./pages/account/account').then((m) => ({ default: m.AccountPage })));
const AdminPage = lazy(() => import('./pages/admin/admin').then((m) => ({ default: m.AdminPage })));
const TaskBoardPage = lazy(() => import('./pages/agents/task-board').then((m) => ({ default: m.TaskBoardPage })));
const LlmCostsPage = lazy(() => import('./pages/llm-costs').then((m) => ({ default: m.LlmCostsPage })));
const ProjectsPage = lazy(() => import('./pages/agents/projects').then((m) => ({ default: m.ProjectsPage })));
const ProjectPage = lazy(() => import('./pages/agents/project').then((m) => ({ default: m.ProjectPage })));
const ConversationPage = lazy(() => import('./pages/agents/conversation').then((m) => ({ default: m.ConversationPage })));

function SignedIn() {
  const location = useLocation();
  return (
    <RequireAuth>
      <AppShell>
        <ErrorBoundary key={location.pathname}>
          <Suspense fallback={<Loading rows={4} />}>
            <Routes>
              <Route index element={<OverviewPage />} />
              <Route path="events" element={<EventsPage />} />
              <Route path="events/:deliveryId" element={<EventDetailPage />} />
              <Route path="repositories/:owner/:name" element={<RepositoryPage />} />
              <Route path="repositories/:owner/:name/pulls/:number" element={<PullRequestPage />} />
              <Route path="checks" element={<FailingChecksPage />} />
              <Route path="checks/:checkRunId" element={<CheckRunPage />} />
              <Route path="mirrors" element={<MirrorsPage />} />
              <Route path="mirrors/:owner/:name/logs" element={<MirrorLogPage />} />
              <Route path="probot-apps" element={<AppsPage />} />
              <Route path="probot-apps/:app" element={<AppRunsPage />} />
              <Route path="pets" element={<PetsPage />} />
              <Route path="pets/:owner/:name" element={<PetPage />} />
              <Route path="notifications" element={<NotificationsPage />} />
              <Route path="agents" element={<TaskBoardPage />} />
              <Route path="agents/conversations/:id" element={<ConversationPage />} />
              <Route path="agents/projects" element={<ProjectsPage />} />
              <Route path="agents/projects/:id" element={<ProjectPage />} />
              <Route path="costs" element={<LlmCostsPage />} />
              <Route path="account" element={<AccountPage />} />
              <Route path="admin/*" element={<AdminPage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Routes>
          </Suspense>
        </ErrorBoundary>
      </AppShell>
    </RequireAuth>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/*" element={<SignedIn />} />
    </Routes>
  );
}
