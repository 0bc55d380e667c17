/** Change (or, for a GitHub account, set) the password; other sessions are signed out. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import { ME_KEY } from '../../auth/session';
import { Section } from '../../components/page';
import { Callout, Spinner, errorMessage } from '../../components/states';

export function PasswordSection({ hasPassword }: { hasPassword: boolean }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const change = useMutation({
    mutationFn: () => api.post('/api/me/password', { body: { current_password: hasPassword ? current : undefined, new_password: next } }),
    onSuccess: async () => {
      setDone(true);
      setOpen(false);
      setCurrent('');
      setNext('');
      setAgain('');
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      await queryClient.invalidateQueries({ queryKey: ['sessions'] });
    },
    onError: (e) => setError(errorMessage(e)),
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (next !== again) {
      setError('The two new passwords differ.');
      return;
    }
    change.mutate();
  };

  return (
    <Section title="Password" id="password" description={hasPassword ? 'Changing it signs out your other sessions.' : 'You sign in with GitHub; a password lets you sign in without it too.'}>
      <div className="card">
        {done && (
          <Callout tone="success" role="status">
            Password {hasPassword ? 'changed' : 'set'}. Your other sessions were signed out.
          </Callout>
        )}
        {!open ? (
          <button type="button" className="button" onClick={() => (setOpen(true), setDone(false))}>
            {hasPassword ? 'Change password' : 'Set a password'}
          </button>
        ) : (
          <form onSubmit={submit} className="form">
            {error && (
              <div className="form-error" role="alert">
                {error}
              </div>
            )}
            {hasPassword && (
              <div className="field">
                <label htmlFor="pw-current">Current password</label>
                <input id="pw-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
              </div>
            )}
            <div className="field">
              <label htmlFor="pw-new">New password</label>
              <input id="pw-new" type="password" autoComplete="new-password" required minLength={8} value={next} onChange={(e) => setNext(e.target.value)} aria-describedby="pw-help" />
              <p id="pw-help" className="field-help">
                Long is strong: a few unrelated words work well.
              </p>
            </div>
            <div className="field">
              <label htmlFor="pw-again">New password, again</label>
              <input id="pw-again" type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
            </div>
            <div className="row">
              <button type="submit" className="button primary" disabled={change.isPending}>
                {change.isPending && <Spinner />} Save password
              </button>
              <button type="button" className="button ghost" onClick={() => (setOpen(false), setError(null))}>
                Cancel
              </button>
            </div>
          </form>
        )}
      </div>
    </Section>
  );
}
