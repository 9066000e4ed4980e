import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from './main/registry/index.ts';
import { unpackArtifact } from './main/sources/artifacts/open-artifact.ts';
import { storeLayerArtifact } from './main/sources/oci/layer-artifact.ts';
import { ArtifactStore } from './main/sources/artifacts/artifact-store.ts';
import { startRegistry } from './test/support/registry.ts';
import { ensureTool } from './test/tools/tools.ts';
const r = await startRegistry(); const flux = await ensureTool('flux');
const dir = mkdtempSync(join(tmpdir(), 'p2-'));
for (let i = 0; i < 5000; i++) { const sub = join(dir, 'src', `d${Math.floor(i / 100)}`); mkdirSync(sub, { recursive: true }); writeFileSync(join(sub, `f${i}.yaml`), randomBytes(7800).toString('base64')); }
execFileSync(flux, ['push','artifact',`oci://${r.host}/b/app:v1`,`--path=${join(dir,'src')}`,'--source=x','--revision=v1','--insecure-registry']);
const c = new RegistryClient(r.host, { plainHttp: true });
for (let k = 0; k < 2; k++) {
let t = performance.now();
const { manifest } = await c.manifest('b/app', 'v1');
const layer = (manifest as any).layers[0];
const bytes = await c.blobBytes('b/app', layer); console.log('download', (performance.now() - t).toFixed(0), bytes.length);
t = performance.now(); await unpackArtifact(bytes); console.log('unpack', (performance.now() - t).toFixed(0));
const store = new ArtifactStore({ root: mkdtempSync(join(tmpdir(), 'p-')) });
t = performance.now();
await storeLayerArtifact(store, { owner: { kind: 'OCIRepository', namespace: 'a', name: 'b' }, layer: bytes, digest: 'sha256:' + 'a'.repeat(64), revision: 'x', operation: 'extract' });
console.log('store total (unpack+archive)', (performance.now() - t).toFixed(0));
t = performance.now(); const out = mkdtempSync(join(tmpdir(), 'fo-'));
execFileSync(flux, ['pull','artifact',`oci://${r.host}/b/app:v1`,`--output=${out}`,'--insecure-registry']); console.log('flux', (performance.now() - t).toFixed(0));
}
await r.stop();
