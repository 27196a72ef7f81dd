// The typed errors: a user catches them by class and reads the field or command they name.
import { describe, expect, it } from 'vitest';
import { ClockError, ConfigError, ContractViolation, DistkitError, InvalidCommandError, assertNever } from '../../src/core/index.js';

describe('typed errors', () => {
  it('ConfigError names the field, in the message and as a property', () => {
    const e = new ConfigError('heartbeatMs', 'must be positive');
    expect(e).toBeInstanceOf(DistkitError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('ConfigError');
    expect(e.field).toBe('heartbeatMs');
    expect(e.message).toBe('heartbeatMs: must be positive');
  });

  it('InvalidCommandError names the command', () => {
    const e = new InvalidCommandError('release', 'not in the critical section');
    expect(e.name).toBe('InvalidCommandError');
    expect(e.command).toBe('release');
    expect(e.message).toBe('release: not in the critical section');
  });

  it('each subclass keeps its own name, so logs say which error it was', () => {
    expect(new ClockError('skew').name).toBe('ClockError');
    expect(new ContractViolation('raft', 'mutated its input').message).toBe('machine raft broke its contract: mutated its input');
    expect(new ContractViolation('raft', 'x')).toBeInstanceOf(DistkitError);
  });
});

describe('assertNever', () => {
  it('throws InvalidCommandError describing the unexpected value', () => {
    expect(() => assertNever({ type: 'bogus' } as never, 'input')).toThrow(new InvalidCommandError('input', 'unexpected {"type":"bogus"}'));
  });

  it('survives values JSON cannot print (cycles, bigint)', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(() => assertNever(cycle as never)).toThrow(InvalidCommandError);
    expect(() => assertNever(10n as never)).toThrow('value: unexpected 10');
  });
});
