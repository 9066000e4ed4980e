// The one contract between main and the renderer (ARCHITECTURE.md rule 2). Imports only zod.
export * from './bootstrap.ts';
export * from './channel-names.ts';
export * from './channels.ts';
export * from './editing.ts';
export * from './errors.ts';
export * from './flux-paths.ts';
export type { FluxdeckApi } from './fluxdeck-api.ts';
export * from './helm.ts';
export * from './images.ts';
export * from './inbox.ts';
export * from './label-selector.ts';
export * from './model.ts';
export * from './notifications.ts';
export * from './stats.ts';
export * from './wire.ts';
