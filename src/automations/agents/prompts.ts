/**
 * What each role is told. Instructions are Switchyard's own text; everything that came from
 * GitHub, the repository, commands or people is appended only as quoted data (untrusted.ts).
 */
import type { AgentRole } from './tables.js';
import { DATA_RULE } from './untrusted.js';

const ROLE_TEXT: Record<AgentRole, string> = {
  orchestrator:
    'You are the orchestrator of a small software team working on one GitHub issue. Read the issue and plan the work as at most 5 tasks. ' +
    'Each task has a title, an agent_type (architect for a design note, coder for changes to the repository, tester for running the tests, reviewer for a review), ' +
    'a priority from 1 (first) to 5, and a definition_of_done: a list of checkable statements. Answer with the JSON object only.',
  architect:
    'You are the architect. Read the repository with the tools (read-only) and write a design note for the coder: the files to change, the approach, the risks and a test plan. ' +
    'Finish with the note as plain text and no tool call.',
  coder:
    'You are the coder. Change the repository with write_file to meet the definition of done, and run the declared commands with run_command when useful. ' +
    'Switchyard commits your changes after every turn and opens a draft pull request. You cannot change .github/workflows, reach the network, or push. ' +
    'When the work is done, answer with a short summary and no tool call.',
  tester:
    'You are the tester. Switchyard ran the project’s declared tests; summarise for the coder what failed and the likely cause, or confirm that they pass. Be brief and concrete.',
  reviewer:
    'You are the reviewer. Judge the pull request’s diff against each item of the definition of done. Answer with the JSON object only: ' +
    'a summary, one entry per done-item (met true/false, a comment), and changes_requested when any item is not met.',
};

/** The system text of an agent: its role, the data rule, and the project's own addition. */
export function systemPrompt(role: AgentRole, projectAddition: string | null): string {
  return [ROLE_TEXT[role], DATA_RULE, projectAddition ? `Project notes from the administrator:\n${projectAddition}` : ''].filter(Boolean).join('\n\n');
}

export const PLAN_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'tasks'],
  properties: {
    summary: { type: 'string' },
    tasks: {
      type: 'array',
      minItems: 1,
      maxItems: 5,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'agent_type', 'priority', 'definition_of_done'],
        properties: {
          title: { type: 'string' },
          agent_type: { type: 'string', enum: ['architect', 'coder', 'tester', 'reviewer'] },
          priority: { type: 'integer', minimum: 1, maximum: 5 },
          definition_of_done: { type: 'array', minItems: 1, items: { type: 'string' } },
        },
      },
    },
  },
} as const;

export const REVIEW_JSON_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['summary', 'items', 'changes_requested'],
  properties: {
    summary: { type: 'string' },
    items: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['done_item', 'met', 'comment'], properties: { done_item: { type: 'string' }, met: { type: 'boolean' }, comment: { type: 'string' } } },
    },
    changes_requested: { type: 'boolean' },
  },
} as const;

/** Parses a JSON answer, tolerating a fenced block around it. */
export function parseJsonAnswer(text: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(text);
  const body = (fenced?.[1] ?? text).trim();
  const start = body.indexOf('{');
  const end = body.lastIndexOf('}');
  return JSON.parse(start >= 0 && end > start ? body.slice(start, end + 1) : body);
}
