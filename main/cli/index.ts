// Entry of the `fluxdeck` command (bin/fluxdeck.mjs loads the bundle of this file, or this file itself).
import { runCli } from './run.ts';

// node:sqlite (the inbox) prints an ExperimentalWarning on every start; it says nothing a user can act on.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name === 'ExperimentalWarning' && w.message.includes('SQLite')) return;
  process.stderr.write(`${w.name}: ${w.message}\n`);
});

const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => controller.abort(new Error(`received ${sig}`)));
}

const code = await runCli(process.argv.slice(2), {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  signal: controller.signal,
});
process.exitCode = code;
