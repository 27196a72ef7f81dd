// A check shared by the resilience policies' config tests.
import { expect } from 'vitest';
import { ConfigError } from 'distkit/core';

/** Expects make() to throw a ConfigError naming field. */
export function expectConfigError(field: string, make: () => unknown): void {
  let err: unknown;
  try {
    make();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).field).toBe(field);
}
