import { parseArgs, type ParseArgsConfig } from 'node:util';

import {
  ArtifactError,
  diffArtifact,
  listArtifacts,
  pullArtifact,
  pushArtifact,
  type RegistryAccess,
  tagArtifact,
} from '../../workbench/index.ts';
import { type CliIO, type Command, UsageError } from '../command.ts';
import { formatTable } from '../table.ts';

/**
 * `fluxdeck push|pull|tag|diff artifact` and `fluxdeck list artifacts`, flag for flag with the flux CLI's commands of
 * the same names, so scripts move between the two. Registry credentials come from `--creds` or the Docker config.
 */

const registryFlags = {
  creds: { type: 'string' },
  'insecure-registry': { type: 'boolean' },
  provider: { type: 'string' },
} satisfies NonNullable<ParseArgsConfig['options']>;

interface Parsed {
  values: Record<string, unknown>;
  positionals: string[];
  access: RegistryAccess;
}

function parse(args: string[], noun: string, own: NonNullable<ParseArgsConfig['options']>, io: CliIO): Parsed {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...registryFlags, ...own }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const [word, ...positionals] = parsed.positionals;
  if (word !== noun) throw new UsageError(`expected '${noun}', got '${word ?? ''}'`);
  const v = parsed.values as Record<string, unknown>;
  const provider = (v.provider as string | undefined) ?? 'generic';
  if (provider !== 'generic')
    throw new UsageError(
      `--provider ${provider}: cloud registry login is not supported yet; pass --creds or log in with docker login`,
    );
  return {
    values: v,
    positionals,
    access: {
      ...(typeof v.creds === 'string' && { creds: v.creds }),
      ...(v['insecure-registry'] === true && { insecure: true }),
      signal: io.signal,
    },
  };
}

const urlArg = (p: Parsed, what: string): string => {
  const url = p.positionals[0];
  if (!url) throw new UsageError(`${what}: the artifact URL (oci://registry/repository[:tag]) is required`);
  return url;
};

const list = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.flatMap((s) => String(s).split(',')).filter((s) => s !== '') : undefined;

function annotationsOf(values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of (values as string[] | undefined) ?? []) {
    const i = a.indexOf('=');
    if (i <= 0) throw new UsageError(`--annotations ${a}: use <key>=<value>`);
    out[a.slice(0, i)] = a.slice(i + 1);
  }
  return out;
}

/** Usage errors for artifact input (bad URL, empty directory) rather than failures of the registry. */
async function guarded(run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ArtifactError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

export const pushCommand: Command = {
  name: 'push',
  summary: 'Push a directory to an OCI registry as a Flux artifact (flux push artifact)',
  usage:
    'fluxdeck push artifact oci://REGISTRY/REPO:TAG --path DIR [--source URL] [--revision REV] [-a key=value]... [--ignore-paths P,...] [--reproducible] [--resolve-symlinks] [--creds USER:PASS] [--insecure-registry] [-o json|yaml]',
  run: (args, io) =>
    guarded(async () => {
      const p = parse(args, 'artifact', pushFlags, io);
      const url = urlArg(p, 'push artifact');
      const v = p.values;
      if (typeof v.path !== 'string') throw new UsageError('push artifact: --path DIR is required');
      const output = v.output as string | undefined;
      if (output !== undefined && output !== 'json' && output !== 'yaml')
        throw new UsageError(`--output ${output}: use json or yaml`);
      io.err(`► pushing artifact to ${url.slice('oci://'.length)}\n`);
      const ignorePaths = list(v['ignore-paths']);
      const pushed = await pushArtifact(
        {
          url,
          path: v.path,
          ...(typeof v.source === 'string' && { source: v.source }),
          ...(typeof v.revision === 'string' && { revision: v.revision }),
          annotations: annotationsOf(v.annotations),
          ...(ignorePaths && { ignorePaths }),
          reproducible: v.reproducible === true,
          resolveSymlinks: v['resolve-symlinks'] === true,
          onProgress: (step) => io.err(`◎ ${step}\n`),
        },
        p.access,
      );
      const doc = { url: pushed.url, repository: pushed.repository, tag: pushed.tag, digest: pushed.digest };
      if (output === 'json') io.out(JSON.stringify(doc, null, 2) + '\n');
      else if (output === 'yaml')
        io.out(
          Object.entries(doc)
            .map(([k, s]) => `${k}: ${s}`)
            .join('\n') + '\n',
        );
      else io.err(`✔ artifact successfully pushed to ${pushed.repository}@${pushed.digest}\n`);
      return 0;
    }),
};

const pushFlags = {
  path: { type: 'string', short: 'f' },
  source: { type: 'string' },
  revision: { type: 'string' },
  annotations: { type: 'string', short: 'a', multiple: true },
  'ignore-paths': { type: 'string', multiple: true },
  reproducible: { type: 'boolean' },
  'resolve-symlinks': { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  debug: { type: 'boolean' },
} satisfies NonNullable<ParseArgsConfig['options']>;

export const pullCommand: Command = {
  name: 'pull',
  summary: 'Pull a Flux artifact from an OCI registry and extract it (flux pull artifact)',
  usage: 'fluxdeck pull artifact oci://REGISTRY/REPO[:TAG|@DIGEST] -o DIR [--creds USER:PASS] [--insecure-registry]',
  run: (args, io) =>
    guarded(async () => {
      const p = parse(args, 'artifact', { output: { type: 'string', short: 'o' } }, io);
      const url = urlArg(p, 'pull artifact');
      const out = p.values.output;
      if (typeof out !== 'string') throw new UsageError('pull artifact: --output DIR is required');
      io.err(`► pulling artifact from ${url.slice('oci://'.length)}\n`);
      const pulled = await pullArtifact(url, out, p.access);
      if (pulled.source) io.err(`✔ source ${pulled.source}\n`);
      if (pulled.revision) io.err(`✔ revision ${pulled.revision}\n`);
      io.err(`✔ digest ${pulled.digest}\n✔ artifact content (${pulled.files} files) extracted to ${out}\n`);
      return 0;
    }),
};

export const listCommand: Command = {
  name: 'list',
  summary: 'List the Flux artifacts of an OCI repository (flux list artifacts)',
  usage:
    'fluxdeck list artifacts oci://REGISTRY/REPO [--filter-regex RE] [--filter-semver RANGE] [--creds USER:PASS] [--insecure-registry] [-o json]',
  run: (args, io) =>
    guarded(async () => {
      const own = {
        'filter-regex': { type: 'string' },
        'filter-semver': { type: 'string' },
        output: { type: 'string', short: 'o' },
      } satisfies NonNullable<ParseArgsConfig['options']>;
      const p = parse(args, 'artifacts', own, io);
      const url = urlArg(p, 'list artifacts');
      const v = p.values;
      const rows = await listArtifacts(
        url,
        {
          ...(typeof v['filter-regex'] === 'string' && { regex: v['filter-regex'] }),
          ...(typeof v['filter-semver'] === 'string' && { semver: v['filter-semver'] }),
        },
        p.access,
      );
      if (v.output === 'json') {
        io.out(JSON.stringify(rows, null, 2) + '\n');
        return 0;
      }
      const table = rows.map((r) => [r.url.slice('oci://'.length), r.digest, r.source ?? '', r.revision ?? '']);
      io.out(formatTable(['ARTIFACT', 'DIGEST', 'SOURCE', 'REVISION'], table));
      return 0;
    }),
};

export const tagCommand: Command = {
  name: 'tag',
  summary: 'Tag a Flux artifact in its OCI repository (flux tag artifact)',
  usage:
    'fluxdeck tag artifact oci://REGISTRY/REPO:TAG --tag NEW [--tag NEW2] [--creds USER:PASS] [--insecure-registry]',
  run: (args, io) =>
    guarded(async () => {
      const p = parse(args, 'artifact', { tag: { type: 'string', multiple: true } }, io);
      const url = urlArg(p, 'tag artifact');
      const tags = list(p.values.tag) ?? [];
      const digest = await tagArtifact(url, tags, p.access);
      const repo = url.slice('oci://'.length).replace(/[:@][^/]*$/, '');
      for (const t of tags) io.err(`✔ artifact tagged as ${repo}:${t} (${digest})\n`);
      return 0;
    }),
};

/**
 * `fluxdeck diff artifact URL --path DIR`: which files of DIR differ from the artifact's. Exit 1 when they differ
 * (as `flux diff artifact`), so CI can decide whether to push.
 */
export async function runDiffArtifact(args: string[], io: CliIO): Promise<number> {
  return guarded(async () => {
    const own = { path: { type: 'string' }, 'ignore-paths': { type: 'string', multiple: true } } satisfies NonNullable<
      ParseArgsConfig['options']
    >;
    const p = parse(args, 'artifact', own, io);
    const url = urlArg(p, 'diff artifact');
    if (typeof p.values.path !== 'string') throw new UsageError('diff artifact: --path DIR is required');
    const ignorePaths = list(p.values['ignore-paths']);
    const diff = await diffArtifact(url, p.values.path, ignorePaths ? { ignorePaths } : {}, p.access);
    for (const f of diff.added) io.out(`+ ${f}\n`);
    for (const f of diff.removed) io.out(`- ${f}\n`);
    for (const f of diff.changed) io.out(`~ ${f}\n`);
    const n = diff.added.length + diff.removed.length + diff.changed.length;
    if (n === 0) {
      io.err('✔ no changes\n');
      return 0;
    }
    io.err(`✗ the remote artifact contents differs from the local one (${n} files)\n`);
    return 1;
  });
}
