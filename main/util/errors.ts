/** The message of any thrown value, for status conditions and logs. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return JSON.stringify(err);
  } catch {
    return 'unknown error';
  }
}

/** The message of an error followed by its causes, `a: b: c`, as Go's wrapped errors read. */
export function errorChain(err: unknown, depth = 5): string {
  const parts: string[] = [];
  let e: unknown = err;
  while (e !== undefined && e !== null && parts.length < depth) {
    const msg = errorMessage(e);
    if (!parts.some((p) => p.includes(msg))) parts.push(msg);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}
