/** A CliIO that records what a command printed, for running `runCli` in-process in tests. */
import type { CliIO } from '../../main/cli/command.ts';

export interface RecordedIO {
  io: CliIO;
  out(): string;
  err(): string;
}

export function cliIO(signal: AbortSignal = new AbortController().signal): RecordedIO {
  let out = '';
  let err = '';
  return {
    io: { out: (t) => (out += t), err: (t) => (err += t), signal },
    out: () => out,
    err: () => err,
  };
}
