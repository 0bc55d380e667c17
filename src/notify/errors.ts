/** The notify slice's errors, each with a stable code and an HTTP status. */
import { AppError } from '../http/app-error.js';

export class TelegramNotConfigured extends AppError {
  constructor() {
    super('TELEGRAM_NOT_CONFIGURED', 503, 'Telegram is not set up: an administrator sets a bot token (TELEGRAM_BOT_TOKEN or the notification settings)');
  }
}

export class EmailNotConfigured extends AppError {
  constructor() {
    super('EMAIL_NOT_CONFIGURED', 503, 'Email is not set up: an administrator sets SMTP_URL (or SMTP_HOST and its companions)');
  }
}

export class TelegramSecretInvalid extends AppError {
  constructor() {
    super('TELEGRAM_SECRET_INVALID', 401, 'X-Telegram-Bot-Api-Secret-Token is missing or wrong');
  }
}

export class TelegramUpdateInvalid extends AppError {
  constructor(message: string) {
    super('TELEGRAM_UPDATE_INVALID', 400, message);
  }
}

export class VerificationCodeInvalid extends AppError {
  constructor() {
    super('VERIFICATION_CODE_INVALID', 400, 'That code is not valid (wrong, used or expired): ask for a new one');
  }
}

export class DeliveryNotFound extends AppError {
  constructor() {
    super('DELIVERY_NOT_FOUND', 404, 'Delivery not found');
  }
}

export class DeliveryNotDead extends AppError {
  constructor() {
    super('DELIVERY_NOT_DEAD', 409, 'Only a dead delivery can be retried (a pending or failed one is retried by itself)');
  }
}

export class EmailNotSent extends AppError {
  constructor(message: string, cause?: unknown) {
    super('EMAIL_NOT_SENT', 502, message, { cause });
  }
}
