import { spawn } from 'node:child_process';
import { join } from 'node:path';

let cached: Promise<string> | undefined;

/**
 * Returns the directory holding etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, building them
 * from the Go module proxy on first use (test/cluster/build.sh; cached under ~/.cache/fluxdeck/bin).
 */
export function ensureBinaries(): Promise<string> {
  cached ??= new Promise((resolve, reject) => {
    const script = join(import.meta.dirname, 'build.sh');
    const child = spawn('bash', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', (err) =>
      reject(new Error('test cluster: could not run build.sh (is bash installed?)', { cause: err })),
    );
    child.on('exit', (code) => {
      const dir = out.trim().split('\n').pop();
      if (code === 0 && dir) resolve(dir);
      else
        reject(
          new Error(`test cluster: building the control plane failed (exit ${String(code)}); see the messages above`),
        );
    });
  });
  return cached;
}
