/** Catches a page that throws while rendering, so the rest of the dashboard keeps working. */
import { Component, type ReactNode } from 'react';
import { ErrorState } from './states';

export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override render() {
    if (this.state.error) {
      const stale = this.state.error instanceof Error && /dynamically imported module|Importing a module script failed/.test(this.state.error.message);
      return (
        <ErrorState
          title={stale ? 'Switchyard was updated' : 'This page failed to draw'}
          error={stale ? new Error('Reload the page to get the new version of the dashboard.') : this.state.error}
          retry={() => (stale ? window.location.reload() : this.setState({ error: null }))}
        />
      );
    }
    return this.props.children;
  }
}
