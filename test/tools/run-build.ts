import { spawn } from 'node:child_process';

/**
 * Runs a build script (bash) whose stdout says where it put what it built, and returns that stdout. Its stderr goes to
 * ours, so the reason for a failed build is printed where the test's output is.
 */
export function runBuild(script: string, args: readonly string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('error', (err) =>
      reject(new Error(`${what}: could not run ${script} (is bash installed?)`, { cause: err })),
    );
    // 'close', not 'exit': the exit can come before the last of stdout (where the result is named) has been read.
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${what}: the build failed (exit ${String(code)}); see the messages above`));
    });
  });
}
