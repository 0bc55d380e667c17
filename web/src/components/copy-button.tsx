/** Copies text to the clipboard and says so. */
import { useEffect, useState } from 'react';
import { CheckIcon, CopyIcon } from './icons';

async function copy(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API unavailable (plain HTTP on a LAN address): fall back to a selection.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    return ok;
  }
}

export function CopyButton({ text, label = 'Copy', className = 'button small', iconOnly = false }: { text: string | (() => string); label?: string; className?: string; iconOnly?: boolean }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = window.setTimeout(() => setState('idle'), 2000);
    return () => window.clearTimeout(t);
  }, [state]);
  const shown = state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label;
  return (
    <button
      type="button"
      className={className}
      onClick={async () => setState((await copy(typeof text === 'function' ? text() : text)) ? 'copied' : 'failed')}
      aria-label={iconOnly ? shown : undefined}
      title={iconOnly ? shown : undefined}
    >
      {state === 'copied' ? <CheckIcon /> : <CopyIcon />}
      {!iconOnly && <span>{shown}</span>}
      <span className="visually-hidden" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard' : ''}
      </span>
    </button>
  );
}
