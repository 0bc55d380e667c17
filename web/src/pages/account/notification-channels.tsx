/**
 * Notification channels: link a Telegram chat (a one-time `/start` code), set and verify an email
 * address, turn each channel on or off, and send a test notice. In-app notifications need nothing.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, type Answer } from '../../api/client';
import { useViewer } from '../../auth/session';
import { CopyButton } from '../../components/copy-button';
import { Section } from '../../components/page';
import { Badge } from '../../components/status-badge';
import { Callout, ErrorState, Loading, Spinner, errorMessage } from '../../components/states';
import { RelativeTime } from '../../components/time';

type Channels = Answer<'/api/me/notification-channels'>;
type LinkCode = Answer<'/api/me/notification-channels/telegram/link-code', 'post'>;
const KEY = ['notification-channels'];

export function NotificationChannelsSection() {
  const [code, setCode] = useState<LinkCode | null>(null);
  const channels = useQuery({
    queryKey: KEY,
    queryFn: () => api.get('/api/me/notification-channels'),
    // While a link code waits for `/start`, look for the link every few seconds.
    refetchInterval: (q) => (code && !q.state.data?.telegram.linked ? 3000 : false),
  });
  return (
    <Section title="Notification channels" id="notification-channels" description="Notifications always appear in Switchyard. Link Telegram or email to get them there too.">
      <div className="card">
        {channels.isPending ? (
          <Loading rows={2} />
        ) : channels.isError ? (
          <ErrorState error={channels.error} retry={() => void channels.refetch()} />
        ) : (
          <>
            <TelegramChannel data={channels.data} code={code} setCode={setCode} />
            <EmailChannel data={channels.data} />
            <TestNotice data={channels.data} />
          </>
        )}
      </div>
      <Deliveries />
    </Section>
  );
}

const DELIVERY_TONES = { pending: 'info', sent: 'success', failed: 'warning', dead: 'danger' } as const;

/** Recent deliveries by Telegram and email with their status and last error; administrators see everyone's and retry dead ones. */
function Deliveries() {
  const { is_admin: isAdmin } = useViewer();
  const queryClient = useQueryClient();
  const list = useQuery({ queryKey: ['notification-deliveries'], queryFn: () => api.get('/api/notification-deliveries', { query: { limit: 10 } }), refetchInterval: 10_000 });
  const [error, setError] = useState<string | null>(null);
  const retry = useMutation({
    mutationFn: (id: string) => api.post('/api/notification-deliveries/{id}/retry', { path: { id } }),
    onSuccess: async () => {
      setError(null);
      await queryClient.invalidateQueries({ queryKey: ['notification-deliveries'] });
    },
    onError: (e) => setError(errorMessage(e)),
  });
  if (list.isPending || list.isError || list.data.items.length === 0) return null;
  return (
    <div className="card deliveries" data-testid="notification-deliveries">
      <h3>{isAdmin ? 'Recent deliveries (everyone’s)' : 'Recent deliveries'}</h3>
      {error && <div className="form-error" role="alert">{error}</div>}
      <ul className="item-list plain">
        {list.data.items.map((d) => (
          <li key={d.id} className="item">
            <div className="item-main">
              <div className="item-title">
                <Badge tone={DELIVERY_TONES[d.status]}>{d.status}</Badge> {d.title}
              </div>
              <div className="item-meta">
                {d.channel}
                {isAdmin && <> to {d.username}</>} · <RelativeTime iso={d.sent_at ?? d.created_at} /> · {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
                {d.last_error && <> · {d.last_error}</>}
              </div>
            </div>
            {isAdmin && d.status === 'dead' && (
              <div className="item-side">
                <button type="button" className="button small" onClick={() => retry.mutate(d.id)} disabled={retry.isPending}>
                  Retry
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function useChannelMutation<T, V = void>(fn: (v: V) => Promise<T>, onDone?: (t: T) => void) {
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const m = useMutation({
    mutationFn: fn,
    onSuccess: async (t) => {
      setError(null);
      onDone?.(t);
      await queryClient.invalidateQueries({ queryKey: KEY });
    },
    onError: (e) => setError(errorMessage(e)),
  });
  return { m, error };
}

function Enabled({ data, channel }: { data: Channels; channel: 'telegram' | 'email' }) {
  const pref = data.preferences.find((p) => p.channel === channel);
  const [kinds, setKinds] = useState((pref?.kinds ?? []).join(', '));
  // Kinds of notification this person has seen, as suggestions.
  const recent = useQuery({ queryKey: ['notifications', 'kinds'], queryFn: () => api.get('/api/notifications', { query: { limit: 100 } }) });
  const seen = [...new Set((recent.data?.items ?? []).map((n) => n.kind))].sort();
  const { m, error } = useChannelMutation<{ ok: true }, { enabled: boolean; kinds: string[] | null }>((body) => api.put('/api/me/notification-channels/{channel}/preferences', { path: { channel }, body }));
  const saveKinds = (e: FormEvent) => {
    e.preventDefault();
    const list = kinds.split(/[\s,]+/).filter(Boolean);
    m.mutate({ enabled: pref?.enabled ?? true, kinds: list.length > 0 ? list : null });
  };
  return (
    <>
      <label className="checkbox">
        <input type="checkbox" checked={pref?.enabled ?? true} disabled={m.isPending} onChange={(e) => m.mutate({ enabled: e.target.checked, kinds: pref?.kinds ?? null })} /> Send notifications here
      </label>
      <details>
        <summary>{pref?.kinds ? `Only ${pref.kinds.join(', ')}` : 'Every kind of notification'}</summary>
        <form className="inline-form" onSubmit={saveKinds}>
          <div className="field grow">
            <label htmlFor={`kinds-${channel}`}>Only these kinds (comma-separated; empty: every kind)</label>
            <input id={`kinds-${channel}`} value={kinds} maxLength={2000} onChange={(e) => setKinds(e.target.value)} placeholder={seen.join(', ') || 'e.g. budget.blocked'} />
          </div>
          <button type="submit" className="button small" disabled={m.isPending}>
            Save
          </button>
        </form>
        {seen.length > 0 && <p className="field-help">Kinds you have had: {seen.join(', ')}</p>}
      </details>
      {error && <div className="form-error" role="alert">{error}</div>}
    </>
  );
}

function TelegramChannel({ data, code, setCode }: { data: Channels; code: LinkCode | null; setCode: (c: LinkCode | null) => void }) {
  const link = useChannelMutation(() => api.post('/api/me/notification-channels/telegram/link-code', {}), setCode);
  const unlink = useChannelMutation(() => api.delete('/api/me/notification-channels/telegram', {}), () => setCode(null));
  const t = data.telegram;
  return (
    <div className="channel" data-testid="telegram-channel">
      <h3>
        Telegram {t.linked ? <Badge tone="success">linked</Badge> : <Badge>not linked</Badge>}
      </h3>
      {!t.configured ? (
        <p className="muted">Telegram is not set up on this server: an administrator sets a bot token.</p>
      ) : t.linked ? (
        <>
          <p>
            Linked to {t.label ?? 'a chat'} <RelativeTime iso={t.linked_at} />.{' '}
            <button type="button" className="button small" onClick={() => unlink.m.mutate()} disabled={unlink.m.isPending}>
              Unlink
            </button>
          </p>
          <Enabled data={data} channel="telegram" />
        </>
      ) : code ? (
        <Callout tone="info" title="Send this to the bot" role="status">
          <p className="with-copy">
            <code className="mono break">{code.command}</code>
            <CopyButton text={code.command} label="Copy command" />
          </p>
          {code.deep_link && (
            <p>
              Or <a href={code.deep_link} target="_blank" rel="noreferrer">open the bot in Telegram</a> and press Start.
            </p>
          )}
          <p className="muted">
            The code works once and expires <RelativeTime iso={code.expires_at} />. This page notices the link by itself.
          </p>
        </Callout>
      ) : (
        <button type="button" className="button" onClick={() => link.m.mutate()} disabled={link.m.isPending}>
          {link.m.isPending && <Spinner />} Link Telegram
        </button>
      )}
      {(link.error ?? unlink.error) && <div className="form-error" role="alert">{link.error ?? unlink.error}</div>}
    </div>
  );
}

function EmailChannel({ data }: { data: Channels }) {
  const [params, setParams] = useSearchParams();
  const [address, setAddress] = useState('');
  const [code, setCode] = useState(params.get('verify_email') ?? '');
  const e = data.email;
  const send = useChannelMutation(() => api.put('/api/me/notification-channels/email', { body: { address: address.trim() } }), () => setAddress(''));
  const verify = useChannelMutation(
    () => api.post('/api/me/notification-channels/email/verify', { body: { code: code.trim() } }),
    () => {
      setCode('');
      if (params.has('verify_email')) {
        params.delete('verify_email');
        setParams(params, { replace: true });
      }
    },
  );
  const remove = useChannelMutation(() => api.delete('/api/me/notification-channels/email', {}));
  const submitAddress = (ev: FormEvent) => {
    ev.preventDefault();
    send.m.mutate();
  };
  const submitCode = (ev: FormEvent) => {
    ev.preventDefault();
    verify.m.mutate();
  };
  const error = send.error ?? verify.error ?? remove.error;
  return (
    <div className="channel" data-testid="email-channel">
      <h3>
        Email {e.address ? <Badge tone="success">verified</Badge> : <Badge>not set</Badge>}
      </h3>
      {!e.configured ? (
        <p className="muted">Email is not set up on this server: an administrator sets an SMTP server.</p>
      ) : (
        <>
          {e.address && (
            <>
              <p>
                <strong>{e.address}</strong>, verified <RelativeTime iso={e.verified_at} />.{' '}
                <button type="button" className="button small" onClick={() => remove.m.mutate()} disabled={remove.m.isPending}>
                  Remove
                </button>
              </p>
              <Enabled data={data} channel="email" />
            </>
          )}
          <form className="inline-form" onSubmit={submitAddress}>
            <div className="field grow">
              <label htmlFor="notify-email">{e.address ? 'Use another address' : 'Email address'}</label>
              <input id="notify-email" type="email" required maxLength={254} value={address} onChange={(ev) => setAddress(ev.target.value)} autoComplete="email" />
            </div>
            <button type="submit" className="button" disabled={send.m.isPending || !address.trim()}>
              {send.m.isPending && <Spinner />} Send code
            </button>
          </form>
          {(e.pending || code) && (
            <form className="inline-form" onSubmit={submitCode}>
              <div className="field grow">
                <label htmlFor="notify-email-code">Code sent to {e.pending?.address ?? 'your address'}</label>
                <input id="notify-email-code" required maxLength={64} value={code} onChange={(ev) => setCode(ev.target.value)} autoComplete="one-time-code" />
              </div>
              <button type="submit" className="button primary" disabled={verify.m.isPending || !code.trim()}>
                {verify.m.isPending && <Spinner />} Verify
              </button>
            </form>
          )}
        </>
      )}
      {error && <div className="form-error" role="alert">{error}</div>}
    </div>
  );
}

function TestNotice({ data }: { data: Channels }) {
  const [result, setResult] = useState<string | null>(null);
  const test = useChannelMutation(
    () => api.post('/api/me/notification-channels/test', { body: {} }),
    (r) => setResult(r.deliveries === 0 ? 'Nothing to send: no channel is linked.' : `Sent to ${r.deliveries} channel${r.deliveries === 1 ? '' : 's'}; it should arrive within a minute.`),
  );
  if (!data.telegram.linked && !data.email.address) return null;
  return (
    <p className="row wrap">
      <button type="button" className="button small" onClick={() => test.m.mutate()} disabled={test.m.isPending}>
        Send a test notification
      </button>
      {result && <span role="status">{result}</span>}
      {test.error && <span className="form-error" role="alert">{test.error}</span>}
    </p>
  );
}
