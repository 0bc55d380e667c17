import { describe, expect, it } from 'vitest';
import { oauthErrorMessage, safeReturnTo } from './oauth-routes.js';

describe('GitHub sign-in failures', () => {
  const callback = 'https://switchyard.example.com/api/auth/github/callback';

  it('says what an OAuth error code means in its own words, never echoing text from the link', () => {
    expect(oauthErrorMessage('access_denied', callback)).toMatch(/cancelled on GitHub/);
    expect(oauthErrorMessage('redirect_uri_mismatch', callback)).toContain(callback);
    expect(oauthErrorMessage('application_suspended', callback)).toMatch(/suspended/);
    expect(oauthErrorMessage('temporarily_unavailable', callback)).toBe('GitHub returned the error “temporarily_unavailable”.');
    expect(oauthErrorMessage('Call +1 555 0100 now', callback)).toBe('GitHub returned the error “unknown”.');
  });

  it('keeps only same-site paths to return to', () => {
    expect(safeReturnTo('/events?type=push')).toBe('/events?type=push');
    for (const bad of [undefined, '', 'https://evil.example', '//evil.example', '/\\evil.example', '/x\r\nSet-Cookie: a=b']) expect(safeReturnTo(bad)).toBe('/');
  });
});
