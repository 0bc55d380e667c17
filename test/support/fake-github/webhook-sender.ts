/**
 * Sends webhook deliveries the way GitHub's Hookshot does (signed JSON POST with GitHub's headers)
 * and records each attempt as a hook delivery, including redeliveries (same GUID, `redelivery: true`).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { deliveryGuid, hex, isoSeconds } from './ids.js';
import type { AppRecord, FakeState, HookDelivery } from './state.js';

/** Options of `fake.deliver()`. */
export interface DeliverOptions {
  /** false: record a failed delivery ("failed to connect to host", status_code 0) without sending. */
  reachable?: boolean;
  /** The app whose webhook sends it; defaults to the app of `payload.installation.id`, else the first app created. */
  appId?: number;
}

/** What `fake.deliver()` resolves to. */
export interface DeliveryOutcome {
  id: number;
  guid: string;
  statusCode: number;
  status: string;
}

interface PostResult {
  statusCode: number;
  status: string;
  headers: Record<string, string>;
  body: string | null;
}

/** GitHub's Hookshot user agent carries a short build hash. */
const USER_AGENT = `GitHub-Hookshot/${hex(4).slice(0, 7)}`;
const MAX_RECORDED_RESPONSE = 64 * 1024;

/** `sha256=<hex>` over the exact body bytes, as in `X-Hub-Signature-256`. */
export function signPayload(secret: string, body: string, algorithm: 'sha256' | 'sha1' = 'sha256'): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (!settled) {
        settled = true;
        resolve(result);
      }
    };
    const failure = (status: string): PostResult => ({ statusCode: 0, status, headers: {}, body: null });
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      finish(failure('invalid URL'));
      return;
    }
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: false });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      finish(failure('timed out'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN'].includes(code)) finish(failure('failed to connect to host'));
      else if (code === 'ECONNRESET' || code === 'EPIPE') finish(failure('Peer reset connection'));
      else finish(failure(`We couldn't deliver this payload: ${err.message}`));
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        if (size < MAX_RECORDED_RESPONSE) chunks.push(chunk);
        size += chunk.length;
      });
      res.on('error', () => finish(failure('Peer reset connection')));
      res.on('end', () => {
        const statusCode = res.statusCode ?? 0;
        const responseHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        finish({
          statusCode,
          status: statusCode >= 200 && statusCode < 300 ? 'OK' : `Invalid HTTP Response: ${statusCode}`,
          headers: responseHeaders,
          body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_RECORDED_RESPONSE),
        });
      });
    });
    req.end(body);
  });
}

function field(payload: Record<string, unknown>, key: string): unknown {
  return payload[key];
}

function idOf(value: unknown): number | null {
  if (typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'number') return (value as { id: number }).id;
  return null;
}

/** Sends and records deliveries; tracks in-flight sends so tests (and `close()`) can wait for them. */
export class WebhookDispatcher {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly state: FakeState,
    private readonly timeoutMs: number,
  ) {}

  /** The app whose webhook a payload goes through (see DeliverOptions.appId). */
  appFor(payload: Record<string, unknown>, appId?: number): AppRecord {
    if (appId !== undefined) return this.state.requireApp(appId);
    const installationId = idOf(field(payload, 'installation'));
    const installation = installationId === null ? undefined : this.state.installations.get(installationId);
    return installation ? this.state.requireApp(installation.appId) : this.state.defaultApp();
  }

  /** Sends `payload` as a new delivery (fresh GUID) and records it. */
  deliver(event: string, payload: Record<string, unknown>, opts: DeliverOptions = {}): Promise<DeliveryOutcome> {
    const app = this.appFor(payload, opts.appId);
    return this.track(this.send(app, event, payload, deliveryGuid(), false, opts.reachable ?? true));
  }

  /** Re-sends a recorded delivery shortly after (GitHub answers the API call with 202 first). */
  redeliverSoon(app: AppRecord, original: HookDelivery): void {
    const later = new Promise<void>((resolve) => setTimeout(resolve, 10)).then(() =>
      this.send(app, original.event, original.request.payload, original.guid, true, true),
    );
    void this.track(later);
  }

  /** Resolves once no delivery is in flight (including redeliveries scheduled meanwhile). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.inflight.add(promise);
    const done = () => this.inflight.delete(promise);
    promise.then(done, done);
    return promise;
  }

  private async send(app: AppRecord, event: string, payload: Record<string, unknown>, guid: string, redelivery: boolean, reachable: boolean): Promise<DeliveryOutcome> {
    const url = app.webhookUrl;
    if (!url) throw new Error(`app ${app.slug} has no webhook URL: call fake.setWebhookTarget(url, secret) first`);
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      Accept: '*/*',
      'content-type': 'application/json',
      'User-Agent': USER_AGENT,
      'X-GitHub-Delivery': guid,
      'X-GitHub-Event': event,
      'X-GitHub-Hook-ID': String(app.hookId),
      'X-GitHub-Hook-Installation-Target-ID': String(app.id),
      'X-GitHub-Hook-Installation-Target-Type': 'integration',
      'X-Hub-Signature': signPayload(app.webhookSecret, body, 'sha1'),
      'X-Hub-Signature-256': signPayload(app.webhookSecret, body),
    };
    const startedAt = Date.now();
    const started = performance.now();
    const result: PostResult = reachable ? await post(url, headers, body, this.timeoutMs) : { statusCode: 0, status: 'failed to connect to host', headers: {}, body: null };
    const action = field(payload, 'action');
    const delivery: HookDelivery = {
      id: this.state.nextDeliveryId(),
      guid,
      delivered_at: isoSeconds(startedAt),
      redelivery,
      duration: Math.round(performance.now() - started) / 1000,
      status: result.status,
      status_code: result.statusCode,
      event,
      action: typeof action === 'string' ? action : null,
      installation_id: idOf(field(payload, 'installation')),
      repository_id: idOf(field(payload, 'repository')),
      throttled_at: null,
      url,
      request: { headers, payload: structuredClone(payload) },
      response: { headers: result.headers, payload: result.body },
    };
    this.state.deliveries.push({ appId: app.id, delivery });
    return { id: delivery.id, guid, statusCode: result.statusCode, status: result.status };
  }
}
