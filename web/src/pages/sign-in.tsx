/**
 * Sign in: with GitHub (when the App has an OAuth client), or with a local account's username and
 * password — and its two-factor code, asked for once the server says the account needs one. Links
 * to the setup wizard while no GitHub App is connected.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, ApiError } from '../api/client';
import { ME_KEY, safeReturnTo, useMe, useSetupStatus } from '../auth/session';
import { GitHubIcon, LogoMark } from '../components/icons';
import { Callout, Spinner } from '../components/states';
import { useDocumentTitle } from '../lib/use-document-title';

export function SignInPage() {
  useDocumentTitle('Sign in');
  const [params] = useSearchParams();
  const returnTo = safeReturnTo(params.get('return_to'));
  const me = useMe();
  const setup = useSetupStatus();
  const navigate = useNavigate();
  const queryClient = useQueryClient();

  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const codeInput = useRef<HTMLInputElement>(null);
  const usernameInput = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (needsCode) codeInput.current?.focus();
  }, [needsCode, useRecovery]);

  if (me.data) return <Navigate to={returnTo} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = {
        username,
        password,
        ...(needsCode && code.trim() ? (useRecovery ? { recovery_code: code.trim() } : { totp_code: code.replace(/\s/g, '') }) : {}),
      };
      await api.post('/api/auth/login', { body });
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      await queryClient.fetchQuery({ queryKey: ME_KEY, queryFn: () => api.get('/api/me') });
      navigate(returnTo, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'TWO_FACTOR_REQUIRED') {
        setNeedsCode(true);
        setError(null);
      } else {
        setError(err instanceof ApiError ? err.message : 'Sign-in failed; try again.');
        if (needsCode) {
          setCode('');
          codeInput.current?.focus();
        } else usernameInput.current?.focus();
      }
    } finally {
      setBusy(false);
    }
  };

  const githubHref = `/api/auth/github?return_to=${encodeURIComponent(returnTo)}`;
  const s = setup.data;
  return (
    <main className="sign-in">
      <div className="sign-in-card">
        <div className="sign-in-brand">
          <LogoMark size={40} />
          <h1>Sign in to Switchyard</h1>
        </div>

        {s && !s.configured && (
          <Callout tone="info" title="No GitHub App is connected yet">
            <p>
              Switchyard needs a GitHub App to receive events. <a href="/setup">Run the setup wizard</a> to create one in a minute.
            </p>
          </Callout>
        )}

        {s?.github_sign_in && (
          <>
            <a className="button github-button" href={githubHref}>
              <GitHubIcon size={18} />
              Sign in with GitHub
            </a>
            <div className="divider" role="separator">
              <span>or with a Switchyard account</span>
            </div>
          </>
        )}

        <form onSubmit={submit} className="form" noValidate={false}>
          {error && (
            <div className="form-error" role="alert">
              {error}
            </div>
          )}
          <div className="field">
            <label htmlFor="username">Username</label>
            <input
              id="username"
              ref={usernameInput}
              name="username"
              autoComplete="username"
              autoCapitalize="none"
              spellCheck={false}
              required
              value={username}
              onChange={(e) => setUsername(e.target.value)}
              readOnly={needsCode}
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input id="password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} readOnly={needsCode} />
          </div>
          {needsCode && (
            <div className="field">
              <label htmlFor="code">{useRecovery ? 'Recovery code' : 'Two-factor code'}</label>
              <input
                id="code"
                ref={codeInput}
                name={useRecovery ? 'recovery_code' : 'totp_code'}
                autoComplete="one-time-code"
                inputMode={useRecovery ? 'text' : 'numeric'}
                pattern={useRecovery ? undefined : '[0-9 ]{6,8}'}
                maxLength={useRecovery ? 40 : 8}
                required
                aria-describedby="code-help"
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
              <p id="code-help" className="field-help">
                {useRecovery ? 'One of the recovery codes you saved when you turned on two-factor. Each works once.' : 'The 6-digit code from your authenticator app.'}{' '}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setUseRecovery((u) => !u);
                    setCode('');
                  }}
                >
                  {useRecovery ? 'Use an authenticator code' : 'Use a recovery code'}
                </button>
              </p>
            </div>
          )}
          <button type="submit" className="button primary block" disabled={busy}>
            {busy && <Spinner />}
            {needsCode ? 'Verify and sign in' : 'Sign in'}
          </button>
          {needsCode && (
            <button
              type="button"
              className="link-button center"
              onClick={() => {
                setNeedsCode(false);
                setCode('');
                setPassword('');
              }}
            >
              Sign in as someone else
            </button>
          )}
        </form>
        <p className="sign-in-help">
          No account? An administrator can create one on the Admin page, or from a shell: <code>npx switchyard user create &lt;name&gt; --admin</code>.
        </p>
      </div>
    </main>
  );
}
