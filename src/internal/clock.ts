/** A source of wall-clock milliseconds; injected in tests. */
export type Clock = () => number;

/** The real clock. */
export const systemClock: Clock = Date.now;
