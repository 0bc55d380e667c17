/**
 * The frame of every signed-in page: a skip link, the navigation (a sidebar on wide screens, a
 * menu button on narrow ones), who is signed in, and the page itself in <main>.
 */
import { useEffect, useState, type ReactNode } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router';
import { useSetupStatus, useSignOut, useViewer } from '../auth/session';
import { useUnreadNotifications } from '../lib/use-unread-notifications';
import { ActivityIcon, BellIcon, CloseIcon, ErrorIcon, GridIcon, IssueIcon, LockIcon, LogoMark, MenuIcon, PawIcon, PlayIcon, ReplayIcon, ShieldIcon, SignOutIcon, UserIcon } from './icons';

function NavItem({ to, icon, children, end, count }: { to: string; icon: ReactNode; children: ReactNode; end?: boolean; count?: ReactNode }) {
  return (
    <NavLink to={to} end={end} className="nav-item">
      {icon}
      <span>{children}</span>
      {count}
    </NavLink>
  );
}

export function AppShell({ children }: { children: ReactNode }) {
  const me = useViewer();
  const setup = useSetupStatus();
  const signOut = useSignOut();
  const navigate = useNavigate();
  const location = useLocation();
  // The menu (narrow screens) is open on the page it was opened on: navigating closes it.
  const [menuOpenAt, setMenuOpenAt] = useState<string | null>(null);
  const menuOpen = menuOpenAt === location.pathname;
  const setMenuOpen = (open: boolean) => setMenuOpenAt(open ? location.pathname : null);

  useEffect(() => {
    if (!menuOpen) return;
    document.querySelector<HTMLElement>('#sidebar nav a')?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setMenuOpenAt(null);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  const user = me.user;
  // The operator token has no read state (everything reads as unread): no badge for it.
  const unread = useUnreadNotifications(user !== null);
  const unreadCount = unread && unread.count > 0 ? unread : null;
  const name = user?.name || user?.username || 'Operator';
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/" className="brand">
          <LogoMark size={26} />
          <span>Switchyard</span>
        </Link>
        <button type="button" className="icon-button menu-button" aria-expanded={menuOpen} aria-controls="sidebar" onClick={() => setMenuOpen(!menuOpen)}>
          {menuOpen ? <CloseIcon size={20} /> : <MenuIcon size={20} />}
          <span className="visually-hidden">{menuOpen ? 'Close menu' : 'Open menu'}</span>
          {unreadCount && !menuOpen && (
            <span className="menu-dot" data-testid="menu-unread">
              <span className="visually-hidden">, {unreadCount.label} unread notifications</span>
            </span>
          )}
        </button>
      </header>
      <aside id="sidebar" className={`sidebar${menuOpen ? ' open' : ''}`}>
        <Link to="/" className="brand sidebar-brand">
          <LogoMark size={28} />
          <span>Switchyard</span>
        </Link>
        <nav aria-label="Main">
          <NavItem to="/" end icon={<GridIcon size={18} />}>
            Overview
          </NavItem>
          <NavItem to="/events" icon={<ActivityIcon size={18} />}>
            Events
          </NavItem>
          <NavItem to="/checks" icon={<ErrorIcon size={18} />}>
            Failing checks
          </NavItem>
          <NavItem to="/mirrors" icon={<ReplayIcon size={18} />}>
            Mirrors
          </NavItem>
          <NavItem to="/probot-apps" icon={<PlayIcon size={18} />}>
            Apps
          </NavItem>
          <NavItem to="/pets" icon={<PawIcon size={18} />}>
            Pets
          </NavItem>
          <NavItem to="/agents" icon={<IssueIcon size={18} />}>
            Agents
          </NavItem>
          <NavItem to="/costs" icon={<LockIcon size={18} />}>
            Costs
          </NavItem>
          <NavItem
            to="/notifications"
            icon={<BellIcon size={18} />}
            count={
              unreadCount && (
                <span className="nav-count" data-testid="unread-count">
                  {unreadCount.label}
                  <span className="visually-hidden"> unread</span>
                </span>
              )
            }
          >
            Notifications
          </NavItem>
          <NavItem to="/account" icon={<UserIcon size={18} />}>
            Account
          </NavItem>
          {me.is_admin && (
            <NavItem to="/admin" icon={<ShieldIcon size={18} />}>
              Admin
            </NavItem>
          )}
        </nav>
        {me.is_admin && setup.data && !setup.data.configured && (
          <a className="setup-nudge" href="/setup">
            <strong>Connect a GitHub App</strong>
            <span>Run the setup wizard to start receiving events.</span>
          </a>
        )}
        <div className="sidebar-footer">
          <div className="who">
            {user?.avatar_url ? <img src={user.avatar_url} alt="" width={28} height={28} className="avatar" /> : <span className="avatar avatar-letter" aria-hidden="true">{name.slice(0, 1).toUpperCase()}</span>}
            <div className="who-text">
              <span className="who-name">{name}</span>
              <span className="who-role">{me.is_admin ? 'Administrator' : user ? `@${user.username}` : ''}</span>
            </div>
          </div>
          <button
            type="button"
            className="icon-button"
            title="Sign out"
            onClick={async () => {
              await signOut();
              navigate('/sign-in', { replace: true });
            }}
          >
            <SignOutIcon size={18} />
            <span className="visually-hidden">Sign out</span>
          </button>
        </div>
      </aside>
      {menuOpen && <div className="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />}
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
