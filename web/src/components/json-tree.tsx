/**
 * A payload as a foldable tree. Built on <details>/<summary>, so it folds with the keyboard
 * (Tab to a node, Enter or Space to fold) and screen readers announce it as expandable. Children are
 * rendered only once a node is opened, and long arrays and objects show 100 entries at a time, so a
 * large payload opens quickly.
 */
import { createContext, useContext, useState, type ReactNode } from 'react';

const PAGE = 100;

/** How deep nodes start open (changes with "Expand all" / "Collapse all"). */
const OpenDepth = createContext(1);

function Scalar({ value }: { value: unknown }) {
  if (value === null) return <span className="jt-null">null</span>;
  switch (typeof value) {
    case 'string':
      return <span className="jt-string">{JSON.stringify(value)}</span>;
    case 'number':
      return <span className="jt-number">{String(value)}</span>;
    case 'boolean':
      return <span className="jt-boolean">{String(value)}</span>;
    default:
      return <span>{String(value)}</span>;
  }
}

function Key({ name }: { name: string | number | null }) {
  if (name === null) return null;
  return (
    <>
      <span className={typeof name === 'number' ? 'jt-index' : 'jt-key'}>{typeof name === 'number' ? name : JSON.stringify(name)}</span>
      <span className="jt-punct">: </span>
    </>
  );
}

function preview(value: object): string {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[ ${value.length} ${value.length === 1 ? 'item' : 'items'} ]`;
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  const shown = keys.slice(0, 4).join(', ');
  return `{ ${shown}${keys.length > 4 ? `, … ${keys.length - 4} more` : ''} }`;
}

function Node({ name, value, depth }: { name: string | number | null; value: unknown; depth: number }) {
  const openDepth = useContext(OpenDepth);
  const [open, setOpen] = useState(depth < openDepth);
  const [shown, setShown] = useState(PAGE);
  if (value === null || typeof value !== 'object') {
    return (
      <div className="jt-leaf">
        <Key name={name} />
        <Scalar value={value} />
      </div>
    );
  }
  const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  if (entries.length === 0) {
    return (
      <div className="jt-leaf">
        <Key name={name} />
        <span className="jt-punct">{Array.isArray(value) ? '[]' : '{}'}</span>
      </div>
    );
  }
  return (
    <details className="jt-node" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>
        <Key name={name} />
        <span className="jt-preview">{preview(value)}</span>
      </summary>
      {open && (
        <div className="jt-children">
          {entries.slice(0, shown).map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={depth + 1} />
          ))}
          {entries.length > shown && (
            <button type="button" className="link-button jt-more" onClick={() => setShown((n) => n + PAGE)}>
              Show {Math.min(PAGE, entries.length - shown)} more of {entries.length - shown}
            </button>
          )}
        </div>
      )}
    </details>
  );
}

export function JsonTree({ value, openDepth = 1, label }: { value: unknown; openDepth?: number; label: string }) {
  return (
    <div className="json-tree" role="group" aria-label={label}>
      <OpenDepth.Provider value={openDepth}>
        <Node name={null} value={value} depth={0} />
      </OpenDepth.Provider>
    </div>
  );
}

/** The tree with its toolbar: expand all, collapse all, raw JSON, copy. */
export function JsonViewer({ value, label, tools }: { value: unknown; label: string; tools?: ReactNode }) {
  const [mode, setMode] = useState<{ depth: number; generation: number; raw: boolean }>({ depth: 1, generation: 0, raw: false });
  const text = JSON.stringify(value, null, 2) ?? 'null';
  const large = text.length > 2_000_000;
  return (
    <div className="json-viewer">
      <div className="json-toolbar">
        <button type="button" className="button small ghost" disabled={large || mode.raw} onClick={() => setMode((m) => ({ ...m, depth: 64, generation: m.generation + 1 }))}>
          Expand all
        </button>
        <button type="button" className="button small ghost" disabled={mode.raw} onClick={() => setMode((m) => ({ ...m, depth: 1, generation: m.generation + 1 }))}>
          Collapse all
        </button>
        <button type="button" className="button small ghost" aria-pressed={mode.raw} onClick={() => setMode((m) => ({ ...m, raw: !m.raw }))}>
          Raw JSON
        </button>
        <span className="spacer" />
        {tools}
      </div>
      {mode.raw ? (
        <pre className="json-raw" tabIndex={0} aria-label={`${label} (raw JSON)`}>
          {text}
        </pre>
      ) : (
        <JsonTree key={mode.generation} value={value} openDepth={mode.depth} label={label} />
      )}
    </div>
  );
}
