// Types of electron-native.mjs (plain JavaScript so `npm start` can run it without tsx).
export const BINDING_FILE: string;
export function electronNativeDir(appRoot: string, electronVersion: string): string;
export function electronBindingPath(appRoot: string, electronVersion: string): string;
export function prebuildInstallArgs(electronVersion: string): string[];
export function nodeGypArgs(electronVersion: string): string[];
/** Runs a command; true when it exited 0. */
export type Runner = (command: string, args: string[], cwd: string) => boolean;
export interface Outcome {
  binding: string;
  /** False when the file already existed. */
  built: boolean;
}
export function buildElectronSqlite(options: {
  appRoot: string;
  electronVersion: string;
  run?: Runner;
}): Outcome;
/** The environment for the build tools, without npm settings that override the target. */
export function buildEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
/** True when the addon registers itself with the given Node ABI (process.versions.modules). */
export function isBuiltForNode(addonPath: string, nodeAbi: string): boolean;
export function installedElectronVersion(appRoot: string): string;
