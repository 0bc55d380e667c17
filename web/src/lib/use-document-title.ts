import { useEffect } from 'react';

/** Sets the tab's title while the page is shown ("Events · Switchyard"). */
export function useDocumentTitle(title: string | null | undefined): void {
  useEffect(() => {
    document.title = title ? `${title} · Switchyard` : 'Switchyard';
  }, [title]);
}
