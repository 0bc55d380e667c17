/** The probot-apps slice's errors, each with a stable code and status. */
import { AppError } from '../../http/app-error.js';

export class ProbotAppNotFound extends AppError {
  constructor(app: string) {
    super('PROBOT_APP_NOT_FOUND', 404, `No Probot app named ${app} is loaded`);
  }
}

export class ProbotAppDoesNotHandle extends AppError {
  constructor(app: string, event: string) {
    super('PROBOT_APP_DOES_NOT_HANDLE', 409, `Probot app ${app} does not subscribe to ${event} events`);
  }
}
