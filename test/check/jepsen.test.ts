import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseJepsenLog } from 'distkit/check';

const P = 'INFO  jepsen.util - ';

describe('parseJepsenLog: the jepsen.util history format', () => {
  it('parses invocations and completions into operations timed by line number', () => {
    const log = [
      `${P}0\t:invoke\t:read\tnil`,
      `${P}1\t:invoke\t:write\t3`,
      `${P}2\t:invoke\t:cas\t[3 4]`,
      `${P}0\t:ok\t:read\tnil`,
      `${P}1\t:ok\t:write\t3`,
      `${P}2\t:fail\t:cas\t[3 4]`,
    ].join('\n');
    const { history, problems } = parseJepsenLog(log);
    expect(problems).toEqual([]);
    expect(history).toEqual([
      { id: 0, client: '0', input: { f: 'read' }, call: 1, output: null, ret: 4 },
      { id: 1, client: '1', input: { f: 'write', value: 3 }, call: 2, output: null, ret: 5 },
      { id: 2, client: '2', input: { f: 'cas', from: 3, to: 4 }, call: 3, output: false, ret: 6 },
    ]);
  });

  it(':info and operations open at the end have an unknown outcome; failed reads are left out', () => {
    const log = [`${P}0\t:invoke\t:write\t1`, `${P}1\t:invoke\t:read\tnil`, `${P}2\t:invoke\t:cas\t[1 2]`, `${P}0\t:info\t:write\t:timed-out`, `${P}1\t:fail\t:read\t:timed-out`, `${P}3\t:invoke\t:read\tnil`, `${P}3\t:ok\t:cas\t[1 2]`].join('\n');
    const { history, problems } = parseJepsenLog(log);
    expect(history).toEqual([
      { id: 0, client: '0', input: { f: 'write', value: 1 }, call: 1 },
      { id: 2, client: '2', input: { f: 'cas', from: 1, to: 2 }, call: 3 },
      { id: 3, client: '3', input: { f: 'read' }, call: 6 },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.line).toBe(7);
    expect(problems[0]!.reason).toMatch(/does not match its open :read invocation from line 6/);
  });

  it('accepts space-separated lines, lines without the prefix, CRLF, and skips nemesis lines', () => {
    const log = `INFO  jepsen.util - 0   :invoke :write  1\r\n:nemesis\t:info\t:start\tnil\r\n0 :ok :write 1\r\n\r\n`;
    const { history, problems } = parseJepsenLog(log);
    expect(problems).toEqual([]);
    expect(history).toEqual([{ id: 0, client: '0', input: { f: 'write', value: 1 }, call: 1, output: null, ret: 3 }]);
  });
});

describe('parseJepsenLog: bad input is reported, never thrown', () => {
  it('a response that matches no invocation', () => {
    const { history, problems } = parseJepsenLog(`${P}7\t:ok\t:read\t3`);
    expect(history).toEqual([]);
    expect(problems).toEqual([{ line: 1, text: `${P}7\t:ok\t:read\t3`.trim(), reason: 'response of process 7 matches no invocation' }]);
  });

  it('malformed lines, unknown types and functions, bad values, double invocations', () => {
    const log = [
      'garbage',
      `${P}0\t:invoke\t:frobnicate\t1`,
      `${P}0\t:begin\t:read\tnil`,
      `${P}0\t:invoke\t:write\tabc`,
      `${P}0\t:invoke\t:cas\t[1]`,
      `${P}1\t:invoke\t:read\tnil`,
      `${P}1\t:invoke\t:read\tnil`,
      `${P}1\t:ok\t:read\tzz`,
    ].join('\n');
    const { history, problems } = parseJepsenLog(log);
    expect(problems.map((p) => p.line)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(problems.map((p) => p.reason)).toEqual([
      'not a history line (expected PROCESS :TYPE :F VALUE)',
      'unknown function :frobnicate (expected :read, :write or :cas)',
      'unknown type :begin (expected :invoke, :ok, :fail or :info)',
      'write value must be an integer, got "abc"',
      'cas value must be [FROM TO], got "[1]"',
      'process 1 invoked again while its operation from line 6 is open; that one is kept as unknown outcome',
      'read value must be an integer or nil, got "zz"; the read is kept as unknown outcome',
    ]);
    expect(history).toEqual([
      { id: 0, client: '1', input: { f: 'read' }, call: 6 },
      { id: 1, client: '1', input: { f: 'read' }, call: 7 },
    ]);
  });

  it('a non-string argument', () => {
    expect(parseJepsenLog(42 as unknown as string).problems).toHaveLength(1);
  });

  it('never throws on arbitrary text, and every history it returns is well formed', () => {
    const token = fc.constantFrom(':invoke', ':ok', ':fail', ':info', ':read', ':write', ':cas', 'nil', '[1 2]', '3', '0', '1', 'x', P, '\t', ' ', '\n');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.array(token, { maxLength: 60 }).map((t) => t.join(''))), (text) => {
        const { history, problems } = parseJepsenLog(text);
        const ids = new Set(history.map((o) => o.id));
        expect(ids.size).toBe(history.length);
        for (const o of history) if (o.ret !== undefined) expect(o.ret).toBeGreaterThan(o.call);
        for (const p of problems) expect(p.line).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});
