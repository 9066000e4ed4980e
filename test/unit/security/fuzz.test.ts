// Mutation fuzzing of the parsers that take untrusted input: a malicious repository (YAML, kustomization.yaml, git
// packs), a hostile web page (cookies) and a broken kubeconfig. Fixed seed and a bounded number of cases, so a
// failure reproduces; a crash other than the parser's own error, or a hang, fails the test.
import { describe, expect, it } from 'vitest';

import { cookiesFrom } from '../../../main/headless/access.ts';
import { parseKubeconfig } from '../../../main/kube/kubeconfig.ts';
import { KustomizeError, parseYamlStream } from '../../../main/kustomize/index.ts';
import { parseKustomization } from '../../../main/kustomize/kustomization.ts';

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '\n',
  ' ',
  '- ',
  ': ',
  '[',
  ']',
  '{',
  '}',
  '&a ',
  '*a',
  '<<: ',
  '!!binary ',
  '|',
  '>',
  '"',
  "'",
  '%',
  '\t',
  '\u0000',
  '#',
  '---\n',
  '...\n',
  '\\u',
  '\ud800',
];

/** `count` mutants of `seed`: spliced tokens, deleted and duplicated slices. */
function* mutants(seed: string, count: number, random: () => number): Generator<string> {
  for (let i = 0; i < count; i++) {
    let s = seed;
    const edits = 1 + Math.floor(random() * 6);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * (s.length + 1));
      const kind = random();
      if (kind < 0.5) s = s.slice(0, at) + (TOKENS[Math.floor(random() * TOKENS.length)] ?? '') + s.slice(at);
      else if (kind < 0.75) s = s.slice(0, at) + s.slice(at + Math.floor(random() * 20));
      else s = s.slice(0, at) + s.slice(at, at + 40).repeat(1 + Math.floor(random() * 50)) + s.slice(at);
    }
    yield s;
  }
}

/** Runs `parse` on every mutant: it may succeed or throw an expected error, never anything else. */
function fuzz(seed: string, parse: (text: string) => unknown, expected: (err: unknown) => boolean): void {
  const random = rng(0xf1ad);
  let n = 0;
  for (const text of mutants(seed, 1500, random)) {
    n++;
    try {
      parse(text);
    } catch (err) {
      if (!expected(err))
        throw new Error(`case ${n}: unexpected ${String(err)} for ${JSON.stringify(text.slice(0, 200))}`, {
          cause: err,
        });
    }
  }
}

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web, tier: "front"}
spec:
  replicas: 2
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        args: ["--port", '8080']
        env: &env
        - {name: A, value: "1"}
---
base: &b {x: 1}
derived:
  <<: *b
  y: [1, 2, {z: 3}]
`;

// Thousands of mutated inputs per parser: seconds of CPU, so the limit allows for a busy machine (not a timing check).
describe('fuzzing untrusted parsers', { timeout: 60_000 }, () => {
  it('YAML streams: only KustomizeError', () => {
    fuzz(
      MANIFEST,
      (t) => parseYamlStream(t, 'f.yaml'),
      (e) => e instanceof KustomizeError,
    );
  });

  it('kustomization.yaml decoding: only KustomizeError', () => {
    const seed = `resources:\n- deploy.yaml\n- ../base\npatches:\n- path: p.yaml\n  target: {kind: Deployment}\nconfigMapGenerator:\n- name: c\n  literals: [a=b]\nimages:\n- name: nginx\n  newTag: "2"\n`;
    fuzz(
      seed,
      (t) => parseKustomization(t, 'kustomization.yaml', ''),
      (e) => e instanceof KustomizeError,
    );
  });

  it('kubeconfig files: an Error with a message, never a crash of another kind', () => {
    const seed = `apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: c\n  cluster: {server: "https://1.2.3.4:6443"}\nusers:\n- name: u\n  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, args: [eks, get-token]}\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\n`;
    fuzz(
      seed,
      (t) => parseKubeconfig(t, 'config'),
      (e) => e instanceof Error && !(e instanceof RangeError) && e.message.length > 0,
    );
  });

  it('cookie headers before authentication: never throws', () => {
    const seed = 'a=b; fluxdeck_token_4000=abc%20def; theme=dark';
    fuzz(
      seed,
      (t) => expect(Array.isArray(cookiesFrom({ cookie: t }, 'fluxdeck_token_4000'))).toBe(true),
      () => false,
    );
  });
});
