/**
 * Pushes small OCI images under many tags to a registry with Fluxdeck's registry client: one config blob and one
 * layer per distinct image, then a manifest PUT per tag. `distinct: true` gives each tag its own image (so digests
 * differ, for digest reflection); otherwise every tag points at the same manifest, which is what a scan of thousands
 * of tags needs.
 */
import { type Credentials, MediaType, RegistryClient } from '../../main/registry/index.ts';

export interface PushOptions {
  distinct?: boolean;
  credentials?: Credentials;
}

async function pushImage(client: RegistryClient, repo: string, seed: string): Promise<Buffer> {
  const config = await client.pushBlob(repo, Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed })), {
    mediaType: 'application/vnd.oci.image.config.v1+json',
  });
  const layer = await client.pushBlob(repo, Buffer.from(`layer ${seed}\n`), {
    mediaType: 'application/vnd.oci.image.layer.v1.tar',
  });
  return Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config, layers: [layer] }),
  );
}

/** Pushes the tags; returns each tag's manifest digest. */
export async function pushImageTags(
  host: string,
  repo: string,
  tags: readonly string[],
  opts: PushOptions = {},
): Promise<Map<string, string>> {
  const client = new RegistryClient(host, { plainHttp: true, ...(opts.credentials && { credentials: opts.credentials }) });
  const digests = new Map<string, string>();
  try {
    let shared: Buffer | undefined;
    for (const tag of tags) {
      const manifest = opts.distinct ? await pushImage(client, repo, tag) : (shared ??= await pushImage(client, repo, 'shared'));
      digests.set(tag, await client.putManifest(repo, tag, manifest, MediaType.OciManifest));
    }
  } finally {
    client.close();
  }
  return digests;
}
