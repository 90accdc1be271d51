// What the engine tells its listeners (progress renderers, the JSON result, tests). Every event is
// redacted before it is emitted. The event log on disk is written by the engine itself (event-log.ts).
import type { StepError, StepStatus } from './state-file.js';
import type { ApplyResult } from './result.js';

export type EngineEvent =
  | {
      type: 'run-start';
      plan: string;
      runId: string;
      statePath: string;
      resumed: boolean;
      steps: Array<{ id: string; type: string; status: StepStatus }>;
    }
  | { type: 'step-skip'; stepId: string; reason: 'succeeded' | 'until' }
  | { type: 'step-start'; stepId: string; stepType: string; attempt: number; resumed: boolean }
  | { type: 'progress'; stepId: string; detail: string }
  | { type: 'warning'; stepId?: string; message: string }
  | { type: 'aws-call'; stepId: string; service: string; operation: string; params: Record<string, unknown> }
  | { type: 'step-event'; stepId: string; name: string; data?: Record<string, unknown> }
  | { type: 'approval-needed'; stepId: string; message: string }
  | { type: 'approval'; stepId: string; approvedBy: string; approvedAt: string; via: 'flag' | 'prompt' }
  | {
      type: 'step-end';
      stepId: string;
      status: StepStatus;
      interrupted: boolean;
      durationMs: number;
      error?: StepError;
      maxRuntime?: true;
    }
  | {
      type: 'cutover';
      state: 'opened' | 'point-of-no-return' | 'rolling-back' | 'rolled-back' | 'rollback-failed';
      stepId: string;
      detail: string;
      deadline?: string;
    }
  | { type: 'run-end'; result: ApplyResult };

export type EngineListener = (event: EngineEvent) => void;
