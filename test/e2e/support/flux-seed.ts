/**
 * What the browser suites put in Git and in the cluster before they start: a GitRepository with a Kustomization applying its `./deploy` path, plus the cleanup stack every suite unwinds.
 */
import { expect } from 'vitest';

import type { ClusterClient } from '../../../main/kube/cluster-client.ts';
import { ensureNamespace, eventually, gitRepository, installCrds, kustomization } from '../../support/flux-fixture.ts';
import type { ServeProcess } from './fluxdeck-serve.ts';

/**
 * The Flux CRDs, the namespaces, and `GitRepository <namespace>/<name>` with `Kustomization <namespace>/<name>`
 * applying its `./deploy` into `targetNamespace`.
 */
export async function seedFlux(
  client: ClusterClient,
  opts: { namespace: string; name: string; url: string; targetNamespace: string; sourceInterval: string },
): Promise<void> {
  await installCrds(client);
  await ensureNamespace(client, opts.namespace);
  await ensureNamespace(client, opts.targetNamespace);
  // Discovery cached before the install does not know the new kinds until it is refreshed.
  await eventually('the Flux kinds to be served', async () => {
    client.mapper.invalidate();
    return client.mapper.resolve('source.toolkit.fluxcd.io/v1', 'GitRepository').then(
      () => true,
      () => undefined,
    );
  });
  await client.create(gitRepository(opts.namespace, opts.name, opts.url, { interval: opts.sourceInterval }));
  await client.create(
    kustomization(opts.namespace, opts.name, opts.name, {
      path: './deploy',
      targetNamespace: opts.targetNamespace,
      interval: '10m',
      prune: true,
    }),
  );
}

/** What a suite started, undone in reverse order after its tests, whatever got started; failures are collected. */
export class Cleanup {
  readonly #undo: (() => Promise<unknown>)[] = [];

  push(undo: () => Promise<unknown>): void {
    this.#undo.push(undo);
  }

  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const undo of this.#undo.splice(0).reverse()) await undo().catch((err: unknown) => errors.push(err));
    if (errors.length > 0) throw new AggregateError(errors, 'cleanup failed');
  }
}

/** Stops `fluxdeck serve` with SIGINT and checks it exited cleanly on its own (no orphan process). */
export async function stopServe(serve: ServeProcess): Promise<void> {
  const code = await serve.stop();
  expect(code, `fluxdeck serve did not stop cleanly on SIGINT:\n${serve.output()}`).toBe(0);
}
