/**
 * The automation registry: the one place slices subscribe to GitHub events.
 *
 * Glossary:
 * - selector: what a subscription handles, as Probot's `app.on` takes it: `'issues'` (every action),
 *   `'issues.opened'` (one action), a list of those, or `'*'` (every event).
 * - projector: a subscriber that runs *inside* the receipt's processing transaction (the state
 *   projection is one); it writes through the transaction it is given and must be idempotent.
 * - automation: a subscriber whose handler runs later as its own job (`automation.run`, keyed by
 *   automation and receipt), enqueued in the processing transaction so it exists iff the receipt's
 *   processing committed.
 */
import type { Executor } from '../db/index.js';
import type { Logger } from '../log/index.js';

export type EventSelector = string | readonly string[];

/** What a handler gets: the event as GitHub sent it, and where it came from. */
export interface EventContext {
  /** The delivery id (X-GitHub-Delivery). */
  id: string;
  /** The event name (X-GitHub-Event). */
  name: string;
  action: string | null;
  payload: Record<string, unknown>;
  receiptId: string;
  repositoryId: string | null;
  installationId: number | null;
  log: Logger;
  /** The job running an automation's handler (absent for projectors). */
  job?: { id: string; attempt: number };
}

export type ProjectorHandler = (ctx: EventContext, tx: Executor) => Promise<void>;
export type AutomationHandler = (ctx: EventContext) => Promise<void>;

interface Subscription<H> {
  name: string;
  selectors: string[];
  handler: H;
}

export const AUTOMATION_JOB = 'automation.run';

/** True when a selector list matches an event and action. */
export function matches(selectors: readonly string[], event: string, action: string | null): boolean {
  return selectors.some((s) => s === '*' || s === event || (action !== null && s === `${event}.${action}`));
}

export class AutomationRegistry {
  private readonly projectors: Array<Subscription<ProjectorHandler>> = [];
  private readonly automations = new Map<string, Subscription<AutomationHandler>>();

  /** Subscribes a projector: runs inside each matching receipt's processing transaction. */
  project(name: string, events: EventSelector, handler: ProjectorHandler): void {
    this.projectors.push({ name, selectors: toList(events), handler });
  }

  /** Subscribes an automation: each matching receipt enqueues a keyed job that runs `handler`. */
  on(name: string, events: EventSelector, handler: AutomationHandler): void {
    if (this.automations.has(name)) throw new Error(`Automation ${name} is already registered`);
    this.automations.set(name, { name, selectors: toList(events), handler });
  }

  /** Projectors that handle this event, in registration order. */
  projectorsFor(event: string, action: string | null): Array<Subscription<ProjectorHandler>> {
    return this.projectors.filter((p) => matches(p.selectors, event, action));
  }

  /** Names of automations that handle this event. */
  automationsFor(event: string, action: string | null): string[] {
    return [...this.automations.values()].filter((a) => matches(a.selectors, event, action)).map((a) => a.name);
  }

  automation(name: string): AutomationHandler | undefined {
    return this.automations.get(name)?.handler;
  }
}

function toList(events: EventSelector): string[] {
  const list = typeof events === 'string' ? [events] : [...events];
  for (const s of list) {
    if (!/^(\*|[a-z0-9_]+(\.[a-z0-9_]+)?)$/.test(s)) throw new Error(`Invalid event selector "${s}"`);
  }
  return list;
}
