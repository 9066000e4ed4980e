// A stand-in for the Go helper that speaks its protocol, for unit tests of the TypeScript client: `echo` answers
// with its params, `hang` answers only to $cancel, `crash` exits, `postRender` calls back and returns the reply,
// `fail` returns a typed error. FAKE_PROTOCOL changes the protocol version in the hello line.
import { createInterface } from 'node:readline';

const send = (v) => process.stdout.write(`${JSON.stringify(v)}\n`);
send({ hello: { protocol: Number(process.env.FAKE_PROTOCOL ?? 2), helm: 'v4.3.2', go: 'fake' } });
const hanging = new Set();
const callbacks = new Map();
let nextCallback = 1;

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, op, params } = JSON.parse(line);
  switch (op) {
    case '$cancel':
      if (hanging.delete(params.id))
        send({ id: params.id, ok: false, error: { code: 'Canceled', message: 'cancelled' } });
      return;
    case '$callback': {
      const request = callbacks.get(params.callback);
      callbacks.delete(params.callback);
      if (params.error) send({ id: request, ok: false, error: { code: 'PostRenderFailed', message: params.error } });
      else send({ id: request, ok: true, result: { manifest: params.manifests } });
      return;
    }
    case 'echo':
      setTimeout(() => send({ id, ok: true, result: params }), params.delayMs ?? 0);
      return;
    case 'hang':
      hanging.add(id);
      return;
    case 'crash':
      process.stderr.write('fatal: fake crash\n');
      process.exit(3);
      return;
    case 'fail':
      send({
        id,
        ok: false,
        error: { code: 'RenderFailed', message: 'boom', details: { template: 't.yaml', line: '3' } },
      });
      return;
    case 'postRender': {
      const cb = nextCallback++;
      callbacks.set(cb, id);
      send({ callback: { id: cb, request: id, kind: 'postRender', manifests: 'kind: A\n' } });
      return;
    }
    default:
      send({ id, ok: false, error: { code: 'BadRequest', message: `unknown operation "${op}"` } });
  }
});
