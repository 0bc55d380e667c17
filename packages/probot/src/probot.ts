/**
 * `Probot`, as Probot 14 has it, plus one thing: when Switchyard hosts the app (the host passes
 * its hooks under the `HOST` symbol), each `on`, `onAny` and `onError` is also reported to the
 * host, after Probot has accepted it (so `*` and `error` still throw as in Probot). Without the
 * hooks nothing differs from Probot 14: same constructor throws, same `load`, same `receive`.
 */
import { Probot as UpstreamProbot, type Options } from 'probot';

/** The option key under which a host passes its hooks (a symbol: no app can set it by accident). */
export const HOST = Symbol.for('switchyard.probot.host');

/** What the host learns from an app while it loads. */
export interface HostHooks {
  /** `app.on(names, …)`: the event names (with `.action`) as the app passed them. */
  on(names: string[]): void;
  /** `app.onAny(…)`. */
  onAny(): void;
  /** `app.onError(…)`. */
  onError(): void;
  /** `app.getRouter(…)` (Probot 11–13): the host refuses it with a porting message. */
  getRouter(): never;
}

export type HostedOptions = Options & { [HOST]?: HostHooks };

export class Probot extends UpstreamProbot {
  constructor(options: HostedOptions = {}) {
    super(options);
    const host = options[HOST];
    if (!host) return;
    const on = this.on;
    const onAny = this.onAny;
    const onError = this.onError;
    this.on = ((eventName: string | string[], callback: never) => {
      on(eventName as never, callback);
      host.on(Array.isArray(eventName) ? [...eventName] : [eventName]);
    }) as typeof on;
    this.onAny = ((callback: never) => {
      onAny(callback);
      host.onAny();
    }) as typeof onAny;
    this.onError = ((callback: never) => {
      onError(callback);
      host.onError();
    }) as typeof onError;
    Object.defineProperty(this, 'getRouter', { value: () => host.getRouter(), enumerable: false });
  }
}
