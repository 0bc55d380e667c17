/** The webhook endpoint's errors, each with a stable code and status. */
import { AppError } from '../http/app-error.js';

export class WebhookSecretMissing extends AppError {
  constructor() {
    super('WEBHOOK_SECRET_MISSING', 503, 'Webhooks are not accepted: no webhook secret is configured (set WEBHOOK_SECRET, or create the GitHub App with the setup wizard at /setup)');
  }
}
export class MissingWebhookHeader extends AppError {
  constructor(names: string[]) {
    super('WEBHOOK_HEADER_MISSING', 400, `Required headers missing: ${names.join(', ')}`);
  }
}
export class InvalidWebhookHeader extends AppError {
  constructor(detail: string) {
    super('WEBHOOK_HEADER_INVALID', 400, detail);
  }
}
export class InvalidSignature extends AppError {
  constructor(missing: boolean) {
    super('WEBHOOK_SIGNATURE_INVALID', 401, missing ? 'X-Hub-Signature-256 header is missing' : 'Signature does not match the payload');
  }
}
export class MalformedPayload extends AppError {
  constructor(detail: string) {
    super('WEBHOOK_PAYLOAD_MALFORMED', 400, `Payload is not a JSON object: ${detail}`);
  }
}
export class ReceiptNotFound extends AppError {
  constructor(deliveryId: string) {
    super('EVENT_NOT_FOUND', 404, `No event with delivery id ${deliveryId}`);
  }
}
