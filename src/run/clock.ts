/**
 * The time and timers of run/'s time-outs, injected so unit tests drive them
 * instead of waiting (as testcontainers-node's common/clock.ts does). Each
 * timer returns the function that cancels it.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): () => void;
  setInterval(callback: () => void, ms: number): () => void;
}

/** Date.now and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
  setInterval: (callback, ms) => {
    const timer = setInterval(callback, ms);
    return () => clearInterval(timer);
  },
};
