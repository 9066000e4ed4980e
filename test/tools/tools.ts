import { spawn } from 'node:child_process';
import { join } from 'node:path';

const built = new Map<string, Promise<string>>();

/**
 * The path of a reference tool built from the Go module proxy by test/tools/build.sh (the flux CLI, Flux's
 * controllers, helm, a registry, an S3 server...). The first call on a machine builds it (minutes; CI builds them
 * all before the tests); later calls return the cached binary at once.
 */
export function ensureTool(name: string): Promise<string> {
  let path = built.get(name);
  if (!path) {
    path = new Promise((resolve, reject) => {
      const child = spawn('bash', [join(import.meta.dirname, 'build.sh'), name], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.on('error', (err) => reject(new Error(`tools: could not run build.sh for ${name}`, { cause: err })));
      child.on('exit', (code) => {
        const line = out
          .trim()
          .split('\n')
          .find((l) => l.startsWith(`${name}=`));
        if (code === 0 && line) resolve(line.slice(name.length + 1));
        else reject(new Error(`tools: building ${name} failed (exit ${String(code)}); see the messages above`));
      });
    });
    built.set(name, path);
  }
  return path;
}
