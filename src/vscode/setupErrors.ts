/**
 * Failures that happen before any request leaves: the extension is not set up to talk to MinT
 * yet. They are not TinkerErrors (no server was involved) but the presenter shows them the same
 * way, each with the action that fixes it.
 */
export class NoApiKeyError extends Error {
  override name = 'NoApiKeyError';
  constructor(readonly server: string) {
    super(`No MinT API key is set for ${server}.`);
  }
}

export class NoServerError extends Error {
  override name = 'NoServerError';
  constructor() {
    super('No MinT server is chosen and the local emulator is not running.');
  }
}

export class BaseUrlRefusedError extends Error {
  override name = 'BaseUrlRefusedError';
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** The "emulator" bundled with the extension could not start. */
export class EmulatorStartError extends Error {
  override name = 'EmulatorStartError';
}
