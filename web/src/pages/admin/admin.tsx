/** Administration: people, installations, the job queue and missed-delivery recovery. Administrators only. */
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { useViewer } from '../../auth/session';
import { PageHeader } from '../../components/page';
import { Callout } from '../../components/states';
import { LinkTabs } from '../../components/tabs';
import { NotFoundPage } from '../not-found';
import { InstallationsPanel } from './installations';
import { MirrorTargetsPanel } from './mirror-targets';
import { QueuePanel } from './queue';
import { RecoveryPanel } from './recovery';
import { UserDetailPanel } from './user-detail';
import { UsersPanel } from './users';

const TABS = [
  { id: 'users', label: 'Users', to: '/admin/users' },
  { id: 'installations', label: 'Installations', to: '/admin/installations' },
  { id: 'queue', label: 'Job queue', to: '/admin/queue' },
  { id: 'recovery', label: 'Missed deliveries', to: '/admin/recovery' },
  { id: 'mirror-targets', label: 'Mirror targets', to: '/admin/mirror-targets' },
];

export function AdminPage() {
  const me = useViewer();
  const location = useLocation();
  if (!me.is_admin) {
    return (
      <>
        <PageHeader title="Admin" />
        <Callout tone="warning" title="Administrators only">
          Your account cannot manage Switchyard. Ask an administrator if you need to.
        </Callout>
      </>
    );
  }
  const current = location.pathname.split('/')[2] ?? 'users';
  return (
    <>
      <PageHeader title="Admin" docTitle={`Admin · ${TABS.find((t) => t.id === current)?.label ?? ''}`} subtitle="People, installations, mirror targets and the work Switchyard does in the background" />
      <LinkTabs label="Admin sections" current={current} tabs={TABS} />
      <div className="tab-panel">
        <Routes>
          <Route index element={<Navigate to="users" replace />} />
          <Route path="users" element={<UsersPanel />} />
          <Route path="users/:id" element={<UserDetailPanel />} />
          <Route path="installations" element={<InstallationsPanel />} />
          <Route path="queue" element={<QueuePanel />} />
          <Route path="recovery" element={<RecoveryPanel />} />
          <Route path="mirror-targets" element={<MirrorTargetsPanel />} />
          <Route path="*" element={<NotFoundPage />} />
        </Routes>
      </div>
    </>
  );
}
