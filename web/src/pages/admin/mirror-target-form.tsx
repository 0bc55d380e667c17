/**
 * Adding a mirror target (administrators): name, kind, address, namespace and token, plus the less
 * common settings folded away. The token is a password field, sent once and never shown back (the
 * list only says whether one is stored). Required fields are checked here; what only the server
 * knows (an address it refuses, a name already taken) is shown above the form as it answered.
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { MirrorTargetKind, NewMirrorTarget } from '../../api/types';
import { Callout, Spinner, errorMessage } from '../../components/states';

const KINDS: Array<{ value: MirrorTargetKind; label: string }> = [
  { value: 'onedev', label: 'OneDev' },
  { value: 'gitea', label: 'Gitea / Forgejo' },
  { value: 'gitlab', label: 'GitLab' },
  { value: 'git', label: 'Plain git (any git URL)' },
];

const URL_HELP: Record<MirrorTargetKind, string> = {
  onedev: 'The server’s address, e.g. https://onedev.example.com',
  gitea: 'The server’s address, e.g. https://gitea.example.com',
  gitlab: 'The server’s address, e.g. https://gitlab.example.com',
  git: 'A URL template with {path}, e.g. https://git.example.com/{path}.git (or a base the path is appended to)',
};
const NAMESPACE_HELP: Record<MirrorTargetKind, string> = {
  onedev: 'Optional: the parent project path',
  gitea: 'Required: the organization or user repositories are created under',
  gitlab: 'Required: the group or user path repositories are created under',
  git: 'Not used by plain git targets',
};
const NAME_PATTERN = /^[A-Za-z0-9][\w.-]*$/;

type Field = 'name' | 'base_url' | 'namespace' | 'max_concurrency';

const EMPTY = {
  name: '',
  kind: 'onedev' as MirrorTargetKind,
  base_url: '',
  namespace: '',
  username: '',
  token: '',
  visibility: 'same' as 'same' | 'private',
  name_template: '{name}',
  on_remove: 'keep' as 'keep' | 'archive' | 'delete',
  push_backups: false,
  max_concurrency: '',
  enabled: true,
};

/** What is wrong with the form before it is sent (field → message). */
export function checkTargetForm(f: typeof EMPTY): Partial<Record<Field, string>> {
  const errors: Partial<Record<Field, string>> = {};
  const name = f.name.trim();
  if (!name) errors.name = 'Give the target a name.';
  else if (name.length > 64 || !NAME_PATTERN.test(name)) errors.name = 'Use letters, digits, _, - and . (starting with a letter or digit), at most 64.';
  if (!f.base_url.trim()) errors.base_url = 'Give the target’s address.';
  if ((f.kind === 'gitea' || f.kind === 'gitlab') && !f.namespace.trim()) errors.namespace = `${f.kind === 'gitea' ? 'Gitea' : 'GitLab'} targets need a namespace.`;
  if (f.max_concurrency.trim()) {
    const n = Number(f.max_concurrency);
    if (!Number.isInteger(n) || n < 1 || n > 64) errors.max_concurrency = 'A whole number from 1 to 64, or empty for the default.';
  }
  return errors;
}

export function CreateTargetForm({ onDone }: { onDone?: () => void }) {
  const queryClient = useQueryClient();
  const id = useId();
  const form = useRef<HTMLFormElement>(null);
  const [f, setF] = useState(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const set = <K extends keyof typeof EMPTY>(key: K, value: (typeof EMPTY)[K]) => {
    setF((prev) => ({ ...prev, [key]: value }));
    if (key in errors) setErrors((prev) => ({ ...prev, [key]: undefined }));
  };

  const create = useMutation({
    mutationFn: (body: NewMirrorTarget) => api.post('/api/mirror/targets', { body }),
    onSuccess: async (target) => {
      setCreated(target.name);
      setServerError(null);
      // The token leaves the page's state as soon as the server has it.
      setF(EMPTY);
      await Promise.all([queryClient.invalidateQueries({ queryKey: ['mirror-targets'] }), queryClient.invalidateQueries({ queryKey: ['mirror-status'] })]);
    },
    onError: (e) => {
      setCreated(null);
      setServerError(errorMessage(e));
      // Focus the message, so it is read out and seen.
      requestAnimationFrame(() => document.getElementById(`${id}-server-error`)?.focus());
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = checkTargetForm(f);
    setErrors(found);
    setCreated(null);
    const first = (['name', 'base_url', 'namespace', 'max_concurrency'] as const).find((k) => found[k]);
    if (first) {
      if (first === 'max_concurrency') form.current?.querySelector('details')?.setAttribute('open', '');
      document.getElementById(`${id}-${first}`)?.focus();
      return;
    }
    const body: NewMirrorTarget = {
      name: f.name.trim(),
      kind: f.kind,
      base_url: f.base_url.trim(),
      namespace: f.kind === 'git' ? null : f.namespace.trim() || null,
      username: f.username.trim() || null,
      token: f.token || null,
      visibility: f.visibility,
      name_template: f.name_template.trim() || '{name}',
      on_remove: f.on_remove,
      push_backups: f.push_backups,
      max_concurrency: f.max_concurrency.trim() ? Number(f.max_concurrency) : null,
      enabled: f.enabled,
    };
    create.mutate(body);
  };

  const fieldProps = (field: Field, help?: boolean) => ({
    id: `${id}-${field}`,
    'aria-invalid': errors[field] ? true : undefined,
    'aria-describedby': [errors[field] ? `${id}-${field}-error` : null, help ? `${id}-${field}-help` : null].filter(Boolean).join(' ') || undefined,
  });
  const fieldError = (field: Field) =>
    errors[field] && (
      <p className="field-error" id={`${id}-${field}-error`}>
        {errors[field]}
      </p>
    );

  return (
    <div className="card form-card">
      <h3 id={`${id}-title`}>Add a mirror target</h3>
      {serverError && (
        <div className="form-error" role="alert" id={`${id}-server-error`} tabIndex={-1} data-testid="target-form-error">
          <strong>The server did not add the target:</strong> {serverError}
        </div>
      )}
      {created && (
        <Callout tone="success" title={`Target “${created}” added`} role="status">
          <p>Test its connection below, then add a rule so repositories are mirrored to it.</p>
        </Callout>
      )}
      <form ref={form} className="form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`}>
        <div className="form-grid">
          <div className="field">
            <label htmlFor={`${id}-name`}>Name</label>
            <input {...fieldProps('name', true)} autoFocus required maxLength={64} autoComplete="off" placeholder="e.g. onedev-backup" value={f.name} onChange={(e) => set('name', e.target.value)} />
            <p className="field-help" id={`${id}-name-help`}>
              How the API, CLI and logs call it
            </p>
            {fieldError('name')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-kind`}>Kind</label>
            <select id={`${id}-kind`} value={f.kind} onChange={(e) => set('kind', e.target.value as MirrorTargetKind)}>
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-base_url`}>Address</label>
            <input {...fieldProps('base_url', true)} required maxLength={500} inputMode="url" autoComplete="off" spellCheck={false} value={f.base_url} onChange={(e) => set('base_url', e.target.value)} />
            <p className="field-help" id={`${id}-base_url-help`}>
              {URL_HELP[f.kind]}
            </p>
            {fieldError('base_url')}
          </div>
          {f.kind !== 'git' && (
            <div className="field">
              <label htmlFor={`${id}-namespace`}>Namespace{f.kind === 'onedev' ? ' (optional)' : ''}</label>
              <input {...fieldProps('namespace', true)} required={f.kind !== 'onedev'} maxLength={200} autoComplete="off" value={f.namespace} onChange={(e) => set('namespace', e.target.value)} />
              <p className="field-help" id={`${id}-namespace-help`}>
                {NAMESPACE_HELP[f.kind]}
              </p>
              {fieldError('namespace')}
            </div>
          )}
          <div className="field">
            <label htmlFor={`${id}-token`}>Access token (optional)</label>
            <input id={`${id}-token`} type="password" autoComplete="new-password" maxLength={4096} spellCheck={false} value={f.token} onChange={(e) => set('token', e.target.value)} aria-describedby={`${id}-token-help`} />
            <p className="field-help" id={`${id}-token-help`}>
              Stored encrypted and never shown again
            </p>
          </div>
          <div className="field">
            <label htmlFor={`${id}-username`}>Git user name (optional)</label>
            <input id={`${id}-username`} maxLength={100} autoComplete="off" placeholder={f.kind === 'gitlab' ? 'oauth2' : f.kind === 'git' ? 'git' : 'switchyard'} value={f.username} onChange={(e) => set('username', e.target.value)} />
          </div>
        </div>
        <details className="form-more">
          <summary>More settings</summary>
          <div className="form-grid">
            <div className="field">
              <label htmlFor={`${id}-visibility`}>Visibility of copies</label>
              <select id={`${id}-visibility`} value={f.visibility} onChange={(e) => set('visibility', e.target.value as 'same' | 'private')}>
                <option value="same">Same as on GitHub</option>
                <option value="private">Always private</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-name_template`}>Repository name on the target</label>
              <input id={`${id}-name_template`} maxLength={200} autoComplete="off" value={f.name_template} onChange={(e) => set('name_template', e.target.value)} aria-describedby={`${id}-name_template-help`} />
              <p className="field-help" id={`${id}-name_template-help`}>
                {'{owner}'}, {'{name}'} and {'{full_name}'} are replaced
              </p>
            </div>
            <div className="field">
              <label htmlFor={`${id}-on_remove`}>When a repository stops being mirrored</label>
              <select id={`${id}-on_remove`} value={f.on_remove} onChange={(e) => set('on_remove', e.target.value as 'keep' | 'archive' | 'delete')}>
                <option value="keep">Keep the copy</option>
                <option value="archive">Archive the copy</option>
                <option value="delete">Delete the copy</option>
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${id}-max_concurrency`}>Syncs at once (optional)</label>
              <input {...fieldProps('max_concurrency')} type="number" min={1} max={64} inputMode="numeric" value={f.max_concurrency} onChange={(e) => set('max_concurrency', e.target.value)} />
              {fieldError('max_concurrency')}
            </div>
            <label className="checkbox">
              <input type="checkbox" checked={f.push_backups} onChange={(e) => set('push_backups', e.target.checked)} />
              <span>Also push backup refs</span>
            </label>
          </div>
        </details>
        <label className="checkbox">
          <input type="checkbox" checked={f.enabled} onChange={(e) => set('enabled', e.target.checked)} />
          <span>Enabled (syncs to this target start at once)</span>
        </label>
        <div className="form-actions">
          <button type="submit" className="button primary" disabled={create.isPending}>
            {create.isPending && <Spinner />} Add target
          </button>
          {onDone && (
            <button type="button" className="button ghost" onClick={onDone}>
              Close
            </button>
          )}
        </div>
      </form>
    </div>
  );
}
