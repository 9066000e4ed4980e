import type { StateCreator } from 'zustand';

import type { BootstrapMode, BootstrapResult, BootstrapStepState } from '../../../main/contract/index.ts';
import type { AppState } from '../index.ts';

/** What the bootstrap wizard's form holds. The password is dropped as soon as the request has it (rule 3). */
export interface BootstrapForm {
  cluster: string;
  url: string;
  branch: string;
  path: string;
  /** The user changed the path: it no longer follows the chosen context. */
  pathEdited: boolean;
  namespace: string;
  username: string;
  password: string;
  mode: BootstrapMode;
}

export type BootstrapField = Exclude<keyof BootstrapForm, 'pathEdited' | 'mode'>;

export interface BootstrapStepView {
  state: BootstrapStepState;
  message: string;
}

export interface BootstrapWizard {
  form: BootstrapForm;
  /** The user tried to start: field messages show from then on. */
  tried: boolean;
  status: 'editing' | 'running' | 'done' | 'failed';
  actionId?: string;
  steps: BootstrapStepView[];
  /** Why the run ended early; `cancelled`: the user stopped it (not a failure to fix). */
  error?: { message: string; hint?: string; cancelled?: boolean };
  result?: BootstrapResult;
}

export interface BootstrapSlice {
  /** The open bootstrap wizard (renderer/features/bootstrap). */
  bootstrap: BootstrapWizard | undefined;
}

export const createBootstrapSlice: StateCreator<AppState, [], [], BootstrapSlice> = () => ({
  bootstrap: undefined,
});
