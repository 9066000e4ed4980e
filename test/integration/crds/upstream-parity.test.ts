import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { type CustomResourceDefinition, loadCrdManifests } from '../../../main/controllers/crds/crd-manifests.ts';
import { storageVersion } from '../../../main/controllers/crds/install-flux-crds.ts';

// Fluxdeck's CRDs are written by hand; Flux's are generated from its Go types and ship in the controllers' Go
// modules. This test downloads the controllers of Flux 2.9.5 (flux2's go.mod pins them) from the Go module proxy and
// compares, version by version, everything but the descriptions: names, scope, printer columns, subresources, and
// every schema node's type, required fields, enum, pattern, default, bounds and CEL rules.
//
// The image and notification controllers' modules are not on the proxy mirror this project can reach, so those CRDs
// are checked against the Go types by hand (see the commit history) and by types-match-crds.test.ts.

const run = promisify(execFile);

const UPSTREAM = [
  { module: 'github.com/fluxcd/source-controller', version: 'v1.9.5' },
  { module: 'github.com/fluxcd/kustomize-controller', version: 'v1.9.5' },
  { module: 'github.com/fluxcd/helm-controller', version: 'v1.6.4' },
];

/** Our deliberate additions: older served versions with the storage version's schema. */
const EXTRA_VERSIONS: Record<string, string[]> = {
  'gitrepositories.source.toolkit.fluxcd.io': ['v1beta2'],
  'ocirepositories.source.toolkit.fluxcd.io': ['v1beta2'],
};

/** Kinds in Flux's modules that Fluxdeck does not install (yet). */
const NOT_INSTALLED = new Set(['externalartifacts.source.toolkit.fluxcd.io']);

async function moduleDir(module: string, version: string): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: tmpdir(),
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GOWORK: 'off' },
  });
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

async function upstreamCrds(): Promise<CustomResourceDefinition[]> {
  const crds: CustomResourceDefinition[] = [];
  for (const { module, version } of UPSTREAM) {
    const dir = join(await moduleDir(module, version), 'config', 'crd', 'bases');
    const { stdout } = await run('ls', [dir]);
    for (const file of stdout.split('\n').filter((f) => f.endsWith('.yaml'))) {
      crds.push(parse(await readFile(join(dir, file), 'utf8')) as CustomResourceDefinition);
    }
  }
  return crds;
}

type Node = Record<string, unknown> & {
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node | boolean;
  required?: string[];
};

/** JSON with object keys sorted at every level, so YAML written in another key order compares equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** One line per schema node, descriptions left out, so two schemas compare as text. */
function flatten(node: Node, path: string, out: string[] = []): string[] {
  const { properties, items, additionalProperties, required, description: _d, ...rest } = node;
  out.push(`${path} ${canonical(rest)} required=${[...(required ?? [])].sort().join(',')}`);
  for (const name of Object.keys(properties ?? {}).sort()) flatten(properties?.[name] ?? {}, `${path}.${name}`, out);
  if (items) flatten(items, `${path}[]`, out);
  if (typeof additionalProperties === 'object') flatten(additionalProperties, `${path}{}`, out);
  return out;
}

function versionShape(crd: CustomResourceDefinition, name: string): Record<string, unknown> {
  const v = crd.spec.versions.find((x) => x.name === name) as
    (Record<string, unknown> & { schema: { openAPIV3Schema: Node } }) | undefined;
  if (!v) return { missing: name };
  return {
    served: v.served,
    storage: v.storage,
    subresources: v.subresources,
    columns: v.additionalPrinterColumns,
    schema: flatten(v.schema.openAPIV3Schema, ''),
  };
}

const ours = await loadCrdManifests();
const theirs = await upstreamCrds();

describe("Fluxdeck's CRDs match Flux 2.9's", () => {
  it('covers every Flux CRD of those controllers but the ones left out on purpose', () => {
    const names = theirs.map((c) => c.metadata.name ?? '').filter((n) => !NOT_INSTALLED.has(n));
    expect(names.length).toBeGreaterThanOrEqual(7);
    for (const name of names) expect(ours.map((c) => c.metadata.name)).toContain(name);
  });

  it.each(theirs.filter((c) => !NOT_INSTALLED.has(c.metadata.name ?? '')).map((c) => [c.metadata.name, c] as const))(
    '%s',
    (name, upstream) => {
      const mine = ours.find((c) => c.metadata.name === name);
      if (!mine) throw new Error(`${name ?? ''} is missing from resources/crds`);
      expect(mine.spec.group).toBe(upstream.spec.group);
      expect(mine.spec.scope).toBe(upstream.spec.scope);
      expect(mine.spec.names).toEqual(upstream.spec.names);
      expect(storageVersion(mine)).toBe(storageVersion(upstream));
      expect(mine.spec.versions.map((v) => v.name).sort()).toEqual(
        [...upstream.spec.versions.map((v) => v.name), ...(EXTRA_VERSIONS[name ?? ''] ?? [])].sort(),
      );
      for (const v of upstream.spec.versions)
        expect(versionShape(mine, v.name)).toEqual(versionShape(upstream, v.name));
    },
  );
});
