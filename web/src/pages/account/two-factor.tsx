/**
 * Two-factor authentication: enroll (QR code and the secret for manual entry, confirm with a first
 * code, then the recovery codes, shown once), new recovery codes, and turning it off.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { ME_KEY } from '../../auth/session';
import { CopyButton } from '../../components/copy-button';
import { DownloadIcon } from '../../components/icons';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { Callout, Spinner, errorMessage } from '../../components/states';

type Enrollment = { secret: string; otpauth_uri: string; qr_code: string };

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const text = codes.join('\n');
  const download = () => {
    const url = URL.createObjectURL(new Blob([`Switchyard recovery codes (each works once)\n\n${text}\n`], { type: 'text/plain' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'switchyard-recovery-codes.txt';
    a.click();
    URL.revokeObjectURL(url);
  };
  return (
    <div className="recovery">
      <Callout tone="warning" title="Save your recovery codes now" role="status">
        Each code signs you in once if you lose your authenticator. They are shown only this once.
      </Callout>
      <ol className="recovery-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="row wrap">
        <CopyButton text={text} label="Copy codes" />
        <button type="button" className="button small" onClick={download}>
          <DownloadIcon /> Download
        </button>
        <button type="button" className="button small primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

export function TwoFactorSection({ enabled, recoveryCodesLeft }: { enabled: boolean; recoveryCodesLeft: number | null }) {
  const queryClient = useQueryClient();
  const [enrollment, setEnrollment] = useState<Enrollment | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [mode, setMode] = useState<'idle' | 'disable' | 'regenerate'>('idle');
  const [useRecovery, setUseRecovery] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const codeInput = useRef<HTMLInputElement>(null);

  const refreshMe = () => queryClient.invalidateQueries({ queryKey: ME_KEY });

  const enroll = useMutation({
    mutationFn: () => api.post('/api/me/2fa/enroll'),
    onSuccess: (data) => {
      setEnrollment(data);
      setError(null);
      setCode('');
      window.setTimeout(() => codeInput.current?.focus(), 0);
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const confirm = useMutation({
    mutationFn: (c: string) => api.post('/api/me/2fa/confirm', { body: { code: c } }),
    onSuccess: async (data) => {
      setEnrollment(null);
      setCodes(data.recovery_codes);
      setCode('');
      setError(null);
      await refreshMe();
    },
    onError: (e) => {
      setError(errorMessage(e));
      setCode('');
      codeInput.current?.focus();
    },
  });
  const disable = useMutation({
    mutationFn: (c: string) => api.delete('/api/me/2fa', { body: useRecovery ? { recovery_code: c } : { code: c } }),
    onSuccess: async () => {
      setMode('idle');
      setCode('');
      setError(null);
      await refreshMe();
    },
    onError: (e) => setError(errorMessage(e)),
  });
  const regenerate = useMutation({
    mutationFn: (c: string) => api.post('/api/me/2fa/recovery-codes', { body: { code: c } }),
    onSuccess: async (data) => {
      setMode('idle');
      setCode('');
      setCodes(data.recovery_codes);
      setError(null);
      await refreshMe();
    },
    onError: (e) => setError(errorMessage(e)),
  });

  const codeField = (label: string, help?: string) => (
    <div className="field">
      <label htmlFor="tf-code">{label}</label>
      <input
        id="tf-code"
        ref={codeInput}
        autoComplete="one-time-code"
        inputMode={useRecovery ? 'text' : 'numeric'}
        maxLength={useRecovery ? 40 : 8}
        required
        value={code}
        onChange={(e) => setCode(e.target.value)}
        autoFocus
        aria-describedby={help ? 'tf-code-help' : undefined}
      />
      {help && (
        <p id="tf-code-help" className="field-help">
          {help}
        </p>
      )}
    </div>
  );

  const submit = (fn: (c: string) => void) => (e: FormEvent) => {
    e.preventDefault();
    fn(useRecovery ? code.trim() : code.replace(/\s/g, ''));
  };

  return (
    <Section
      title="Two-factor authentication"
      id="two-factor"
      actions={enabled ? <Badge tone="success">On</Badge> : <Badge tone="warning">Off</Badge>}
      description="A code from an authenticator app (1Password, Google Authenticator, Authy…) on top of your password."
    >
      <div className="card">
        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}
        {codes ? (
          <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
        ) : enrollment ? (
          <form className="enroll" onSubmit={submit((c) => confirm.mutate(c))}>
            <ol className="steps">
              <li>
                <p>Scan this QR code with your authenticator app:</p>
                <img src={enrollment.qr_code} alt="QR code to add Switchyard to an authenticator app" className="qr" width={196} height={196} />
                <details className="disclosure">
                  <summary>Can’t scan it? Enter the key by hand</summary>
                  <p className="with-copy">
                    <code className="mono break" data-testid="totp-secret">
                      {enrollment.secret}
                    </code>
                    <CopyButton text={enrollment.secret} iconOnly className="icon-button small" label="Copy the key" />
                  </p>
                </details>
              </li>
              <li>{codeField('Enter the 6-digit code it shows', 'This confirms the app is set up; two-factor turns on afterwards.')}</li>
            </ol>
            <div className="row">
              <button type="submit" className="button primary" disabled={confirm.isPending}>
                {confirm.isPending && <Spinner />} Turn on two-factor
              </button>
              <button type="button" className="button ghost" onClick={() => setEnrollment(null)}>
                Cancel
              </button>
            </div>
          </form>
        ) : !enabled ? (
          <div className="row wrap space-between">
            <p>Two-factor is off: your password alone signs you in.</p>
            <button type="button" className="button primary" onClick={() => enroll.mutate()} disabled={enroll.isPending}>
              {enroll.isPending && <Spinner />} Set up two-factor
            </button>
          </div>
        ) : mode === 'idle' ? (
          <>
            <p>
              Two-factor is on.{' '}
              {recoveryCodesLeft !== null && (
                <span className={recoveryCodesLeft <= 2 ? 'text-warning' : undefined}>
                  {recoveryCodesLeft} recovery {recoveryCodesLeft === 1 ? 'code' : 'codes'} left.
                </span>
              )}
            </p>
            <div className="row wrap">
              <button type="button" className="button" onClick={() => (setMode('regenerate'), setUseRecovery(false), setCode(''), setError(null))}>
                New recovery codes
              </button>
              <button type="button" className="button danger-ghost" onClick={() => (setMode('disable'), setUseRecovery(false), setCode(''), setError(null))}>
                Turn off
              </button>
            </div>
          </>
        ) : (
          <form onSubmit={submit((c) => (mode === 'disable' ? disable.mutate(c) : regenerate.mutate(c)))}>
            {codeField(useRecovery ? 'Recovery code' : 'Current two-factor code', mode === 'disable' ? 'Turning two-factor off needs a current code, or a recovery code.' : 'Your old recovery codes stop working.')}
            {mode === 'disable' && (
              <button type="button" className="link-button" onClick={() => (setUseRecovery((u) => !u), setCode(''))}>
                {useRecovery ? 'Use an authenticator code' : 'Use a recovery code'}
              </button>
            )}
            <div className="row">
              <button type="submit" className={`button ${mode === 'disable' ? 'danger' : 'primary'}`} disabled={disable.isPending || regenerate.isPending}>
                {mode === 'disable' ? 'Turn off two-factor' : 'Make new recovery codes'}
              </button>
              <button type="button" className="button ghost" onClick={() => (setMode('idle'), setError(null))}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </div>
    </Section>
  );
}
