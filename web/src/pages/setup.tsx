/**
 * The first-run setup wizard (`/setup`), open before anyone can sign in: five steps a person
 * follows in order — enter the one-time setup code (printed in the server's log), create the GitHub
 * App on GitHub from a manifest, install it on repositories, sign in (with GitHub, or as a local
 * administrator), and open the overview where the first deliveries arrive. Every step says what it
 * did once done and what comes next; when PUBLIC_URL is local, the App step says GitHub cannot reach
 * it and shows how to forward deliveries. The manifest's state and the setup grant stay in HttpOnly
 * cookies (src/github/setup-routes.ts, src/identity/first-run-routes.ts).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client';
import type { FirstRun } from '../api/types';
import { ME_KEY, useMe } from '../auth/session';
import { CopyButton } from '../components/copy-button';
import { CheckIcon, ExternalIcon, GitHubIcon, LogoMark } from '../components/icons';
import { Callout, ErrorState, Loading, Spinner } from '../components/states';
import { useDocumentTitle } from '../lib/use-document-title';

export const FIRST_RUN_KEY = ['first-run'] as const;

export function useFirstRun() {
  return useQuery({ queryKey: FIRST_RUN_KEY, queryFn: () => api.get('/api/setup') });
}

const RETURN_ERRORS: Record<string, string> = {
  state: 'This return from GitHub does not belong to the setup started in this browser (or it expired). Create the App again.',
  expired: 'GitHub had already used the App’s code, or it expired (codes last one hour). Create the App again.',
  github: 'GitHub could not be reached, or answered with an error, while handing over the App’s credentials. Try again.',
  code: 'This browser has not entered the current setup code (a restart of the server issues a new one). Enter it, then create the App again.',
  admin: 'Only an administrator can connect a GitHub App. Sign in as one first.',
};

type StepState = 'done' | 'current' | 'later';

function Step({ n, title, state, done, children }: { n: number; title: string; state: StepState; done?: ReactNode; children?: ReactNode }) {
  return (
    <li className={`wizard-step wizard-step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
      <div className="wizard-step-marker" aria-hidden="true">
        {state === 'done' ? <CheckIcon size={16} /> : n}
      </div>
      <div className="wizard-step-body">
        <h2>
          {title}
          <span className="visually-hidden">{state === 'done' ? ' (done)' : state === 'current' ? ' (current step)' : ' (later)'}</span>
        </h2>
        {state === 'done' && done && <div className="wizard-step-done">{done}</div>}
        {state === 'current' && children}
      </div>
    </li>
  );
}

function CodeStep({ onAccepted }: { onAccepted: () => Promise<void> }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const submitted = useRef(false);

  const send = async (value: string) => {
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/setup/code', { body: { code: value } });
      await onAccepted();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Switchyard did not answer; try again.');
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  // `switchyard setup` prints a link with the code in the fragment (never sent to a server): use it once.
  useEffect(() => {
    const m = /(?:^#|&)code=([A-Za-z0-9-]{1,40})/.exec(window.location.hash);
    if (!m || submitted.current) return;
    submitted.current = true;
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}`);
    setCode(m[1]!);
    void send(m[1]!);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <form
      className="form"
      onSubmit={(e: FormEvent) => {
        e.preventDefault();
        void send(code);
      }}
    >
      <p>
        This server has no administrator yet, so it asks for its one-time setup code: only whoever runs the server can see it. It is printed in the server’s log at start (a line that
        begins with <code>SETUP CODE:</code>), and <code>switchyard doctor</code> on the server’s shell prints a new one.
      </p>
      {error && (
        <div className="form-error" role="alert">
          {error}
        </div>
      )}
      <div className="field">
        <label htmlFor="setup-code">Setup code</label>
        <input
          id="setup-code"
          ref={input}
          name="setup_code"
          autoComplete="one-time-code"
          autoCapitalize="none"
          spellCheck={false}
          required
          maxLength={40}
          placeholder="xxxx-xxxx-xxxx"
          aria-describedby="setup-code-help"
          value={code}
          onChange={(e) => setCode(e.target.value)}
          autoFocus
        />
        <p id="setup-code-help" className="field-help">
          Next: you create the GitHub App. The code keeps working in this browser until the first administrator exists.
        </p>
      </div>
      <div>
        <button type="submit" className="button primary" disabled={busy || code.trim() === ''}>
          {busy && <Spinner />}
          Continue
        </button>
      </div>
    </form>
  );
}

function Forwarding({ status }: { status: FirstRun }) {
  return (
    <Callout tone="warning" title={`GitHub cannot reach ${status.public_url}`}>
      <p>
        PUBLIC_URL is a local address, so GitHub’s deliveries cannot arrive here directly. Forward them, as Probot’s users do: create a channel on{' '}
        <a href="https://smee.io/new" target="_blank" rel="noreferrer">
          smee.io
        </a>
        , enter its address below (the App will send its deliveries there), and keep this running next to Switchyard:
      </p>
      <pre className="wizard-command">
        <code>{`npx smee-client --url <channel> --target ${status.webhook_url}`}</code>
      </pre>
      <p>
        Or, for one repository, with the GitHub CLI’s <code>gh webhook</code> extension (a repository webhook, signed with the secret you give it):
      </p>
      <pre className="wizard-command">
        <code>{`gh webhook forward --repo=<owner/repo> --events='*' --url=${status.webhook_url}`}</code>
      </pre>
    </Callout>
  );
}

function AppStep({ status }: { status: FirstRun }) {
  const [owner, setOwner] = useState<'personal' | 'organization'>('personal');
  const [org, setOrg] = useState('');
  const [name, setName] = useState('Switchyard');
  const [proxy, setProxy] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const [post, setPost] = useState<{ action: string; manifest: string } | null>(null);

  // Once the manifest is here, the hidden form posts it to GitHub (a top-level navigation, as GitHub requires).
  useEffect(() => {
    if (post) form.current?.submit();
  }, [post]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = {
        name: name.trim() || 'Switchyard',
        ...(owner === 'organization' ? { org: org.trim() } : {}),
        ...(proxy.trim() ? { webhook_proxy_url: proxy.trim() } : {}),
      };
      setPost(await api.post('/api/setup/manifest', { body }));
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Switchyard did not answer; try again.');
      setBusy(false);
    }
  };

  return (
    <>
      <p>
        Switchyard acts as a GitHub App. This creates one on <code className="wrap">{status.github_url}</code> with the permissions and events Switchyard uses; GitHub then hands its
        credentials back here, where they are stored encrypted. Its webhook URL is:
      </p>
      <p className="with-copy wizard-url">
        <code className="wrap">{status.webhook_url}</code>
        <CopyButton text={status.webhook_url} iconOnly label="Copy the webhook URL" className="icon-button small" />
      </p>
      {status.public_url_is_local && <Forwarding status={status} />}
      <form className="form" onSubmit={create}>
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <fieldset className="wizard-choice">
          <legend>Who owns the App</legend>
          <label>
            <input type="radio" name="owner" value="personal" checked={owner === 'personal'} onChange={() => setOwner('personal')} /> My personal GitHub account
          </label>
          <label>
            <input type="radio" name="owner" value="organization" checked={owner === 'organization'} onChange={() => setOwner('organization')} /> An organization
          </label>
        </fieldset>
        {owner === 'organization' && (
          <div className="field">
            <label htmlFor="setup-org">Organization</label>
            <input id="setup-org" name="org" required pattern="[A-Za-z0-9][A-Za-z0-9-]{0,38}" autoCapitalize="none" spellCheck={false} value={org} onChange={(e) => setOrg(e.target.value)} aria-describedby="setup-org-help" />
            <p id="setup-org-help" className="field-help">
              Its login, as in github.com/<em>organization</em>. You must be one of its owners.
            </p>
          </div>
        )}
        <div className="field">
          <label htmlFor="setup-name">App name</label>
          <input id="setup-name" name="name" required maxLength={34} value={name} onChange={(e) => setName(e.target.value)} aria-describedby="setup-name-help" />
          <p id="setup-name-help" className="field-help">
            Unique on GitHub; shown on the pull requests and checks it touches.
          </p>
        </div>
        {status.public_url_is_local && (
          <div className="field">
            <label htmlFor="setup-proxy">Forwarding channel (optional)</label>
            <input id="setup-proxy" name="webhook_proxy_url" type="url" placeholder="https://smee.io/…" value={proxy} onChange={(e) => setProxy(e.target.value)} aria-describedby="setup-proxy-help" />
            <p id="setup-proxy-help" className="field-help">
              The App sends its deliveries here instead of <code className="wrap">{status.webhook_url}</code>.
            </p>
          </div>
        )}
        <div>
          <button type="submit" className="button primary" disabled={busy}>
            {busy && <Spinner />}
            Create the GitHub App
          </button>
        </div>
        <p className="field-help">Next: GitHub asks you to confirm, then sends you back here to install the App.</p>
      </form>
      {post && (
        <form ref={form} method="post" action={post.action} hidden>
          <input type="hidden" name="manifest" value={post.manifest} readOnly />
        </form>
      )}
    </>
  );
}

function AdminStep({ status }: { status: FirstRun }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/api/setup/admin', { body: { username, password } });
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      await queryClient.invalidateQueries({ queryKey: FIRST_RUN_KEY });
      navigate('/', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError ? err.message : 'Switchyard did not answer; try again.');
      setBusy(false);
    }
  };

  return (
    <>
      <p>The first person to sign in now becomes Switchyard’s administrator, and the setup code is used up: from then on, only administrators can change this server.</p>
      {status.app.github_sign_in && (
        <>
          <a className="button github-button" href="/api/auth/github?return_to=%2F">
            <GitHubIcon size={18} />
            Sign in with GitHub as the administrator
          </a>
          <div className="divider" role="separator">
            <span>or create a local administrator</span>
          </div>
        </>
      )}
      <form className="form" onSubmit={create}>
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        <div className="field">
          <label htmlFor="admin-username">Username</label>
          <input id="admin-username" name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required maxLength={39} value={username} onChange={(e) => setUsername(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="admin-password">Password</label>
          <input id="admin-password" name="password" type="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby="admin-password-help" />
          <p id="admin-password-help" className="field-help">
            At least 10 characters.
          </p>
        </div>
        <div>
          <button type="submit" className="button primary" disabled={busy}>
            {busy && <Spinner />}
            Create the administrator and sign in
          </button>
        </div>
      </form>
      <p className="field-help">Next: the overview, where deliveries from your repositories appear as GitHub sends them.</p>
    </>
  );
}

export function SetupPage() {
  useDocumentTitle('Set up Switchyard');
  const [params] = useSearchParams();
  const queryClient = useQueryClient();
  const first = useFirstRun();
  const me = useMe();
  const [installClicked, setInstallClicked] = useState(params.get('installed') === '1');
  const error = params.get('error');

  let content: ReactNode;
  if (first.isPending) content = <Loading rows={3} label="Reading where the setup stands…" />;
  else if (first.isError) content = <ErrorState error={first.error} retry={() => void first.refetch()} title="Switchyard did not answer" />;
  else {
    const s = first.data;
    const signedInAdmin = s.viewer_is_admin || me.data?.is_admin === true;
    const signedIn = !!me.data;
    if (s.has_admin && !signedInAdmin && !s.app.configured) {
      content = (
        <Callout tone="info" title="Only an administrator can connect a GitHub App">
          <p>
            This server has an administrator already. <Link to="/sign-in?return_to=%2Fsetup">Sign in as an administrator</Link>, then open this page again.
          </p>
        </Callout>
      );
    } else {
      const codeDone = s.has_admin || s.setup_code_accepted || signedInAdmin;
      const appDone = s.app.configured;
      const installDone = appDone && (installClicked || s.has_admin);
      const signInDone = s.has_admin && signedIn;
      const current = !codeDone ? 1 : !appDone ? 2 : !installDone ? 3 : !signInDone ? 4 : 5;
      const state = (n: number): StepState => (n < current ? 'done' : n === current ? 'current' : 'later');
      const refresh = () => queryClient.invalidateQueries({ queryKey: FIRST_RUN_KEY });
      content = (
        <>
          {error && RETURN_ERRORS[error] && (
            <Callout tone="danger" title="GitHub sent you back, but the App was not connected" role="alert">
              <p>{RETURN_ERRORS[error]}</p>
            </Callout>
          )}
          {params.get('connected') === '1' && appDone && current === 3 && (
            <Callout tone="success" title="The GitHub App is created" role="status">
              <p>
                Its credentials are stored here, encrypted; deliveries to <code className="wrap">{s.webhook_url}</code> are accepted from now on.
              </p>
            </Callout>
          )}
          <ol className="wizard-steps">
            <Step n={1} title="Enter the setup code" state={state(1)} done={<p>{s.has_admin ? 'Done: this server has an administrator.' : 'Code accepted: this browser may set up Switchyard until the first administrator exists.'}</p>}>
              <CodeStep onAccepted={refresh} />
            </Step>
            <Step
              n={2}
              title="Create the GitHub App"
              state={state(2)}
              done={
                <p>
                  Connected to the GitHub App{' '}
                  {s.app.html_url ? (
                    <a href={s.app.html_url} className="inline-link">
                      {s.app.slug ?? 'on GitHub'}
                    </a>
                  ) : (
                    <code>{s.app.slug ?? 'configured from the environment'}</code>
                  )}
                  {s.app.source === 'environment' ? ' (from environment variables)' : ''}; its webhook URL is <code className="wrap">{s.webhook_url}</code>.
                </p>
              }
            >
              <AppStep status={s} />
            </Step>
            <Step n={3} title="Install it on repositories" state={state(3)} done={<p>Installation opened on GitHub: its repositories’ events come to Switchyard.</p>}>
              <p>Choose the account and the repositories Switchyard may see. GitHub then sends an installation event, and every event of those repositories after it.</p>
              <div className="button-row">
                {s.app.install_url ? (
                  <a className="button primary" href={s.app.install_url} onClick={() => setInstallClicked(true)}>
                    Install the App on GitHub
                    <ExternalIcon size={14} />
                  </a>
                ) : (
                  <p>Install the App from its settings page on GitHub (“Install App”).</p>
                )}
                <button type="button" className="button" onClick={() => setInstallClicked(true)}>
                  It is installed: continue
                </button>
              </div>
              <p className="field-help">Next: sign in, so that Switchyard knows who administers it.</p>
            </Step>
            <Step n={4} title="Sign in" state={state(4)} done={<p>Signed in as {me.data?.user?.username ?? 'the administrator'}.</p>}>
              {s.has_admin ? (
                <p>
                  This server has an administrator. <Link to="/sign-in">Sign in</Link> to see its overview.
                </p>
              ) : (
                <AdminStep status={s} />
              )}
            </Step>
            <Step n={5} title="Watch the first deliveries arrive" state={state(5)}>
              <p>Switchyard is set up. The overview lists deliveries as GitHub sends them: push a commit or open an issue in an installed repository to see the first one.</p>
              <Link className="button primary" to="/">
                Open the overview
              </Link>
            </Step>
          </ol>
        </>
      );
    }
  }

  return (
    <div className="sign-in wizard">
      <main className="sign-in-card wizard-card" id="main">
        <div className="sign-in-brand">
          <LogoMark size={40} />
          <h1>Set up Switchyard</h1>
        </div>
        {content}
      </main>
    </div>
  );
}
