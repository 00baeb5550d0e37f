// Types for the parts of code-server.mjs the unit tests import.
export function workbenchUrl(opts: {
  host: string;
  folder: string;
  extensionDevelopmentPath?: string | string[];
  extensionTestsPath?: string;
  skipWelcome?: boolean;
}): string;
export const QUIET_SETTINGS: Record<string, unknown>;
