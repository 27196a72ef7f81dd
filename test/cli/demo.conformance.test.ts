// The command's demo machines through the whole machine contract, like every exported machine
// (test/conformance): they are private to the command, so they are listed here.
import { echoMachine, lazyRegisterMachine, naiveLeaderMachine } from '../../src/cli/demo.js';
import type { MachineFixture } from '../conformance/fixture.js';
import { conformanceSuite } from '../conformance/suite.js';

const fixtures: MachineFixture[] = [
  {
    name: 'echoMachine',
    machine: echoMachine,
    config: { id: 'a', peers: ['a', 'b', 'c'], rounds: 3, retryMs: 30 },
    self: 'a',
    peers: ['b', 'c'],
    scripts: [
      [
        { type: 'tick' },
        { type: 'message', from: 'b', message: { type: 'pong', round: 1 } },
        { type: 'message', from: 'c', message: { type: 'pong', round: 1 } },
        { type: 'message', from: 'b', message: { type: 'ping', round: 4 } },
        { type: 'tick' },
        { type: 'tick' },
      ],
    ],
    messages: [
      { from: 'b', message: { type: 'ping', round: 1 } },
      { from: 'c', message: { type: 'pong', round: 1 } },
      { from: 'c', message: { type: 'pong', round: 2 } },
    ],
  },
  {
    name: 'naiveLeaderMachine',
    machine: naiveLeaderMachine,
    config: { id: 'a', peers: ['a', 'b', 'c'], seed: 1 },
    self: 'a',
    peers: ['b', 'c'],
    stepMs: 160,
    scripts: [
      [{ type: 'tick' }, { type: 'tick' }, { type: 'tick' }, { type: 'message', from: 'b', message: { type: 'heartbeat', term: 7 } }, { type: 'tick' }],
      [{ type: 'message', from: 'c', message: { type: 'heartbeat', term: 2 } }, { type: 'tick' }],
    ],
    messages: [
      { from: 'b', message: { type: 'heartbeat', term: 1 } },
      { from: 'c', message: { type: 'heartbeat', term: 3 } },
    ],
  },
  {
    name: 'lazyRegisterMachine',
    variant: 'primary',
    machine: lazyRegisterMachine,
    config: { id: 'a', primary: 'a', peers: ['a', 'b', 'c'] },
    self: 'a',
    peers: ['b', 'c'],
    scripts: [
      [
        { type: 'request', id: 1, op: { f: 'write', value: 5 } },
        { type: 'request', id: 2, op: { f: 'read' } },
      ],
    ],
    messages: [{ from: 'b', message: { type: 'replicate', value: 1, version: 1 } }],
    commands: [
      { type: 'request', id: 3, op: { f: 'write', value: -4 } },
      { type: 'request', id: 4, op: { f: 'read' } },
    ],
  },
  {
    name: 'lazyRegisterMachine',
    variant: 'backup',
    machine: lazyRegisterMachine,
    config: { id: 'b', primary: 'a', peers: ['a', 'b', 'c'] },
    self: 'b',
    peers: ['a', 'c'],
    scripts: [
      [
        { type: 'message', from: 'a', message: { type: 'replicate', value: 5, version: 1 } },
        { type: 'request', id: 1, op: { f: 'read' } },
        { type: 'message', from: 'a', message: { type: 'replicate', value: 6, version: 2 } },
      ],
    ],
    messages: [
      { from: 'a', message: { type: 'replicate', value: 7, version: 3 } },
      { from: 'a', message: { type: 'replicate', value: 0, version: 1 } },
    ],
    commands: [
      { type: 'request', id: 5, op: { f: 'read' } },
      { type: 'request', id: 6, op: { f: 'write', value: 1 } },
    ],
  },
];

conformanceSuite('cli demo machines', fixtures);
