/**
 * Polls `check` until it returns true; throws naming `what` when `timeoutMs` pass first. Tests
 * wait for conditions with it, never for durations: `everyMs` is only how often it looks.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
