import { spawn } from 'node:child_process';
import { join } from 'node:path';

let built: Promise<string> | undefined;

/**
 * The Helm helper for this checkout, built by main/helm/helper/build.sh (cached by source hash, so only the first
 * call after a change of the Go source compiles; CI builds it before the tests).
 */
export function ensureHelmHelper(): Promise<string> {
  built ??= new Promise((resolve, reject) => {
    const script = join(import.meta.dirname, '..', '..', 'main', 'helm', 'helper', 'build.sh');
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', (err) => reject(new Error('helm helper: could not run build.sh', { cause: err })));
    child.on('exit', (code) => {
      const path = out.trim().split('\n').pop();
      if (code === 0 && path) resolve(path);
      else reject(new Error(`helm helper: build failed (exit ${String(code)}); see the messages above`));
    });
  });
  return built;
}
