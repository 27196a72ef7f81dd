// Validation of Raft messages from peers: the shape, the rules every correct peer follows (§5.3:
// consecutive entries with non-decreasing terms), the data limits, and the clean copy.
import { describe, expect, it } from 'vitest';
import { PAYLOAD_LIMITS } from '../../../src/core/index.js';
import { cleanMessage, messageProblem } from '../../../src/consensus/raft/messages.js';
import type { RaftMessage } from '../../../src/consensus/raft/types.js';

const append = (entries: { index: number; term: number; data?: unknown }[], extra: Record<string, unknown> = {}) => ({
  type: 'append',
  term: 3,
  prevIndex: 4,
  prevTerm: 2,
  entries: entries.map((e) => ({ data: null, ...e })),
  commit: 4,
  ...extra,
});

describe('messageProblem', () => {
  it('accepts well-formed messages', () => {
    expect(messageProblem({ type: 'vote', term: 2, lastIndex: 5, lastTerm: 1, pre: false, transfer: false }, PAYLOAD_LIMITS)).toBeUndefined();
    expect(messageProblem(append([{ index: 5, term: 2 }, { index: 6, term: 3 }]), PAYLOAD_LIMITS)).toBeUndefined();
  });

  it('refuses a vote whose log is newer than its term, or term 0', () => {
    expect(messageProblem({ type: 'vote', term: 2, lastIndex: 5, lastTerm: 3, pre: false, transfer: false }, PAYLOAD_LIMITS)).toBe('lastTerm: beyond the candidate term');
    expect(messageProblem({ type: 'vote', term: 0, lastIndex: 0, lastTerm: 0, pre: false, transfer: false }, PAYLOAD_LIMITS)).toBe('term: a candidate term is at least 1');
  });

  it('refuses appends no correct leader sends', () => {
    expect(messageProblem(append([{ index: 6, term: 2 }]), PAYLOAD_LIMITS)).toBe('entries[0].index: expected 5, got 6');
    expect(messageProblem(append([{ index: 5, term: 3 }, { index: 6, term: 2 }]), PAYLOAD_LIMITS)).toBe('entries[1].term: terms in a log never decrease');
    expect(messageProblem(append([{ index: 5, term: 4 }]), PAYLOAD_LIMITS)).toBe('entries[0].term: beyond the leader term');
    expect(messageProblem(append([], { prevTerm: 4 }), PAYLOAD_LIMITS)).toBe('prevTerm: beyond the leader term');
  });

  it('refuses malformed shapes and data beyond the limits, never throwing', () => {
    for (const junk of [null, 42, 'append', {}, { type: 'append' }, { type: 'nope', term: 1 }, append([{ index: 5, term: 'x' as never }])]) {
      expect(typeof messageProblem(junk, PAYLOAD_LIMITS)).toBe('string');
    }
    const deep = append([{ index: 5, term: 2, data: [[[[['x']]]]] }]);
    expect(messageProblem(deep, { maxDepth: 2, maxBytes: 1 << 20 })).toMatch(/entries\[0\]\.data/);
  });
});

describe('cleanMessage', () => {
  it('keeps only the declared fields', () => {
    const m = { ...append([{ index: 5, term: 2, data: 'x' }]), extra: 'smuggled' } as unknown as RaftMessage;
    expect(messageProblem(m, PAYLOAD_LIMITS)).toBeUndefined();
    const clean = cleanMessage(m) as unknown as Record<string, unknown>;
    expect(clean['extra']).toBeUndefined();
    expect(clean).toEqual(append([{ index: 5, term: 2, data: 'x' }]));
  });
});
