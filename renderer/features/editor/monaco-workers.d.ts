// Monaco's adapter from the pre-0.57 `createWebWorker({ label, moduleId, createData })` options to a worker made by
// `MonacoEnvironment.getWorker` (monaco-editor ships it without types). See monaco.ts.
declare module 'monaco-editor/internal/common/workers.js' {
  export function createWebWorker(opts: {
    label?: string;
    moduleId?: string;
    createData?: unknown;
    host?: unknown;
    keepIdleModels?: boolean;
  }): unknown;
}
