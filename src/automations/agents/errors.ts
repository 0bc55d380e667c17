/** The agents slice's errors, each with a stable code and an HTTP status. */
import { AppError } from '../../http/app-error.js';

export class ProjectNotFound extends AppError {
  constructor(what: string) {
    super('AGENT_PROJECT_NOT_FOUND', 404, `No agents project ${what}`);
  }
}

export class TaskNotFound extends AppError {
  constructor(id: string) {
    super('AGENT_TASK_NOT_FOUND', 404, `No task ${id}`);
  }
}

export class ConversationNotFound extends AppError {
  constructor(what: string) {
    super('AGENT_CONVERSATION_NOT_FOUND', 404, `No agents conversation ${what}`);
  }
}

export class TaskStateConflict extends AppError {
  constructor(message: string) {
    super('AGENT_TASK_STATE', 409, message);
  }
}

/** Something Switchyard refused to publish (a secret, a workflow change, an external image or link). */
export class PublishRefused extends AppError {
  constructor(readonly findings: string[]) {
    super('AGENT_PUBLISH_REFUSED', 422, `Refused to publish: ${findings.join('; ')}`);
  }
}
