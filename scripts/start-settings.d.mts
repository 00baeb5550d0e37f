export interface StartSettings {
  file: string;
  forced: Record<string, unknown>;
  removed: { file: string; key: string; value: unknown }[];
  unreadable: { file: string; problem: string }[];
}
export function applyStartSettings(userDataDir: string, forced: Record<string, unknown>, defaults?: Record<string, unknown>): StartSettings;
export function describeStartSettings(s: StartSettings): string;
export function startSettings(emulatorUrl: string): Record<string, unknown>;
