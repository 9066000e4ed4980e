/** A bootstrap step that failed: its message says what and what to do; `cause` keeps the underlying error. */
export class BootstrapFailed extends Error {
  override readonly name = 'BootstrapFailed';
}

/** Bad input found before anything is written (the CLI turns it into a usage error, the wizard into a field error). */
export class BootstrapInputError extends Error {
  override readonly name = 'BootstrapInputError';
}
