/**
 * The emulator's first stdout line, which every launcher waits for (the extension, `npm start`,
 * the test harnesses, the bench): written and read in one place so they cannot drift apart.
 */
export const listeningLine = (origin: string): string => `MinT emulator listening on ${origin}`;

/** Matches the first line and captures the URL. */
export const LISTENING_LINE = /^MinT emulator listening on (http:\/\/[^\s]+)\s*$/;
