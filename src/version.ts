declare const __MLTRAIL_VERSION__: string | undefined;

/**
 * The version of this mltrail build.
 * @example `console.log(VERSION) // "0.1.0"`
 */
export const VERSION: string = typeof __MLTRAIL_VERSION__ === "string" ? __MLTRAIL_VERSION__ : "0.0.0-dev";
