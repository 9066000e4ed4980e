/**
 * gofakes3 (github.com/johannesboyne/gofakes3, built by test/tools/build.sh): an S3-compatible server that is not
 * MinIO, on a free loopback port with an in-memory backend. Note: gofakes3 does not check request signatures, so
 * SigV4 correctness is tested against AWS's published vectors in the unit suite; here the server checks the protocol
 * (paths, listing, pagination, ETags, errors).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';

import { ensureTool } from '../tools/tools.ts';
import { freePort, waitFor } from './ports.ts';

export interface S3Server {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  host: string;
  stop(): Promise<void>;
}

export async function startS3(opts: { bucket?: string } = {}): Promise<S3Server> {
  const bin = await ensureTool('gofakes3');
  const port = await freePort();
  const args = ['-host', `127.0.0.1:${port}`, '-backend', 'memory', '-quiet'];
  if (opts.bucket) args.push('-initialbucket', opts.bucket);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (log += d));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor('gofakes3', () => alive(endpoint));
  } catch (err) {
    await stop();
    throw new Error(`${String(err)}\n${log}`, { cause: err });
  }
  return { endpoint, host: `127.0.0.1:${port}`, stop };
}

function alive(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
