/** Where a command writes. Injected so tests can run commands in-process and read what they printed. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Aborted on SIGINT/SIGTERM; long-running commands (run, serve) stop when it fires. */
  signal: AbortSignal;
}

/** One top-level CLI command (`fluxdeck <name> ...`). Sub-words such as `get sources git` are parsed by the command. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Returns the process exit code. */
  run(args: string[], io: CliIO): Promise<number>;
}

/** A usage error: the CLI prints the message and the command's usage, and exits 2. */
export class UsageError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UsageError';
  }
}
