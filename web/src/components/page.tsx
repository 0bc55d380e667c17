/** The top of every page: title (focused after navigation, for screen readers), subtitle and actions. */
import { useEffect, useRef, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import { useDocumentTitle } from '../lib/use-document-title';

export function PageHeader({ title, docTitle, subtitle, actions, eyebrow }: { title: ReactNode; docTitle?: string; subtitle?: ReactNode; actions?: ReactNode; eyebrow?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const location = useLocation();
  useDocumentTitle(docTitle ?? (typeof title === 'string' ? title : null));
  useEffect(() => {
    // Move focus to the new page's heading after client-side navigation (not on first load).
    if (location.key !== 'default' && document.activeElement?.closest('main, nav, header')) heading.current?.focus({ preventScroll: true });
  }, [location.pathname, location.key]);
  return (
    <div className="page-header">
      <div className="page-heading">
        {eyebrow && <div className="eyebrow">{eyebrow}</div>}
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {subtitle && <div className="subtitle">{subtitle}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** A titled block of a page. */
export function Section({ title, actions, children, id, description }: { title: ReactNode; actions?: ReactNode; children: ReactNode; id?: string; description?: ReactNode }) {
  return (
    <section className="section" aria-labelledby={id ? `${id}-title` : undefined}>
      <div className="section-header">
        <div>
          <h2 id={id ? `${id}-title` : undefined}>{title}</h2>
          {description && <p className="section-description">{description}</p>}
        </div>
        {actions && <div className="section-actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}
