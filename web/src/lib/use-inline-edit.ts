import { useEffect, useRef, useState } from 'react';

/**
 * An in-place form opened by a button: `open` shows it, `close` hides it (saved, cancelled or
 * Escape) and puts the focus back on the button that opened it (`buttonRef`), so a keyboard user
 * carries on where they were.
 */
export function useInlineEdit() {
  const [editing, setEditing] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const returnFocus = useRef(false);
  useEffect(() => {
    if (editing || !returnFocus.current) return;
    returnFocus.current = false;
    buttonRef.current?.focus();
  }, [editing]);
  return {
    editing,
    buttonRef,
    open: () => setEditing(true),
    close: () => {
      returnFocus.current = true;
      setEditing(false);
    },
  };
}
