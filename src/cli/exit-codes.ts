// Exit codes are part of the contract (DESIGN.md): scripts and CI branch on them.
export const ExitCode = {
  Ok: 0,
  Invalid: 1,
  Failed: 2,
  AwaitingApproval: 3,
  Conflict: 4,
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0    success (apply: every step up to the end or --until succeeded)
  1    the plan is invalid, or the command line is wrong
  2    a step failed, or a preflight check failed
  3    paused at an approval step that was not approved (re-run with --approve ID)
  4    another run holds the lock, or the state file does not match the plan
  130  interrupted (SIGINT/SIGTERM); state is saved and apply resumes it`;

/** Thrown by commands to end the process with a code; only bin/main turns it into process.exit. */
export class ExitError extends Error {
  constructor(readonly exitCode: ExitCode, message = '') {
    super(message);
    this.name = 'ExitError';
  }
}
