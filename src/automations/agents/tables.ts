/**
 * The agents slice's tables (migration 0008_agents), added to the shared Schema by module
 * augmentation; only this slice reads or writes them.
 *
 * Glossary:
 * - project: a repository Switchyard runs agents on, with its trigger (label, assignees, comment),
 *   the commands it declares (install, test, lint) and its limits.
 * - agent: one role of a project (orchestrator, architect, coder, tester, reviewer) with its model.
 * - conversation: everything that happens for one issue; each agent that speaks joins it.
 * - task: one item of the orchestrator's plan (position 0 is the planning itself). `phase` says who
 *   acts next; `step_seq` is the turn the next job runs, so a job of an older turn does nothing.
 * - thread: one agent's turns in one round of a task, replayed to the model on the next turn.
 */
import type { Bool, JsonText } from '../../db/schema.js';

export type AgentRole = 'orchestrator' | 'architect' | 'coder' | 'tester' | 'reviewer';
export type TaskStatus = 'pending' | 'in_progress' | 'testing' | 'review' | 'completed' | 'failed';
export type WaitingOn = 'budget' | 'human' | 'provider';
export type TaskPhase = AgentRole | 'done';
export type ConversationStatus = 'planning' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface ProjectsTable {
  id: string;
  repository_id: string;
  name: string;
  trigger_label: string;
  assignee_logins: JsonText;
  commands: JsonText;
  limits: JsonText;
  enabled: Bool;
  created_at: string;
  updated_at: string;
}

export interface AgentsTable {
  id: string;
  project_id: string;
  name: string;
  role: AgentRole;
  model_config: JsonText;
  system_prompt: string | null;
  rules_file_path: string | null;
  enabled: Bool;
  created_at: string;
  updated_at: string;
}

export interface ConversationsTable {
  id: string;
  project_id: string;
  repository_id: string;
  installation_id: number | null;
  issue_number: number;
  issue_title: string;
  issue_body: string | null;
  status: ConversationStatus;
  triggered_by: string | null;
  trigger: string | null;
  branch: string;
  base_branch: string | null;
  pr_number: number | null;
  status_comment_id: number | null;
  /** When a process claimed the right to post the status comment (migration 0011). */
  status_comment_claimed_at: string | null;
  head_sha: string | null;
  total_tokens: number;
  total_cost_nano: number;
  error_message: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConversationParticipantsTable {
  conversation_id: string;
  agent_id: string;
  role: AgentRole;
  joined_at: string;
  created_at: string;
}

export interface TasksTable {
  id: string;
  conversation_id: string;
  project_id: string;
  position: number;
  title: string;
  agent_type: AgentRole;
  priority: number;
  definition_of_done: JsonText;
  status: TaskStatus;
  waiting_on: WaitingOn | null;
  wait_until: string | null;
  phase: TaskPhase;
  step_seq: number;
  turns: number;
  test_rounds: number;
  review_rounds: number;
  result: string | null;
  cost_nano: number;
  tokens: number;
  error_message: string | null;
  started_at: string | null;
  completed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface MessagesTable {
  id: string;
  conversation_id: string;
  task_id: string | null;
  agent_id: string | null;
  thread: string | null;
  role: 'user' | 'assistant' | 'tool' | 'human' | 'system';
  author: string | null;
  content: string;
  tool_calls: JsonText | null;
  tool_call_id: string | null;
  tool_name: string | null;
  model: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_nano: number | null;
  token_usage_id: string | null;
  created_at: string;
}

export interface AgentMemoryTable {
  id: string;
  project_id: string;
  agent_id: string | null;
  category: string;
  key: string;
  value: string;
  importance: number;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
}

declare module '../../db/schema.js' {
  interface Schema {
    projects: ProjectsTable;
    agents: AgentsTable;
    conversations: ConversationsTable;
    conversation_participants: ConversationParticipantsTable;
    tasks: TasksTable;
    messages: MessagesTable;
    agent_memory: AgentMemoryTable;
  }
}
