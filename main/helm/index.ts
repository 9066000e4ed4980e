// The public surface of main/helm: the bridge to Helm's own code. See main/helm/helper/ for the Go side.
export { type CallOptions, HelmClient, type HelmClientOptions, helperEnv, type PostRenderer } from './helm-client.ts';
export { builderTarget, findHelper, helperCandidates, type HelperLocation } from './helper-path.ts';
export * from './protocol.ts';
