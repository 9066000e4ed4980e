// `npm run bench -- NAME [args]` runs bench/NAME.ts in its own Node process (so its memory figures are its own) and
// passes the remaining arguments through. Every benchmark ends with one `bench NAME: ...` line (see report.ts).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const [name, ...args] = process.argv.slice(2);
const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f))
  .map((f) => f.slice(0, -3));
if (name === undefined || !existsSync(join(import.meta.dirname, `${name}.ts`)) || !available.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (available: ${available.join(', ') || 'none yet'})`);
  process.exit(2);
}
const child = spawn(process.execPath, ['--expose-gc', join(import.meta.dirname, `${name}.ts`), ...args], {
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
