// A step that runs again after the delay it returns, for background loops
// that must never overlap with themselves nor end the process.

export interface Repeating {
  /** Ends the loop and waits for a running step. */
  stop(): Promise<void>;
}

/**
 * Runs `step` at once, then again after the delay in ms that it resolves
 * to. When it rejects, `onError` returns the delay instead. After `signal`
 * aborts, a failing step is neither reported nor repeated.
 */
export function repeat(
  step: () => Promise<number>,
  onError: (err: unknown) => number,
  signal?: AbortSignal,
): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const run = async (): Promise<void> => {
    let delayMs: number;
    try {
      delayMs = await step();
    } catch (err) {
      if (signal?.aborted === true) return;
      delayMs = onError(err);
    }
    if (!stopped) timer = setTimeout(() => (running = run()), delayMs);
  };
  running = run();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

/** Serializes async work: each call starts after the previous one settled. */
export function createLock(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const result = tail.then(work);
    tail = result.catch(() => undefined);
    return result;
  };
}
