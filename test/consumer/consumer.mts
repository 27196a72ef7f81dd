// Type-checked against the built package by TypeScript 7, as an ESM consumer would.
import { createMemoryNetwork, seedPrng, type Machine } from 'distkit';
import * as core from 'distkit/core';
import * as clocks from 'distkit/clocks';
import * as hashing from 'distkit/hashing';
import * as consensus from 'distkit/consensus';
import * as mutex from 'distkit/mutex';
import * as election from 'distkit/election';
import * as txn from 'distkit/txn';
import * as snapshot from 'distkit/snapshot';
import * as resilience from 'distkit/resilience';
import * as sim from 'distkit/sim';
import * as check from 'distkit/check';

export const net = createMemoryNetwork<string>();
export const seed = seedPrng(1);
export type M = Machine<{ n: number }, { n: number }, core.TickInput, never>;
export const modules = [core, clocks, hashing, consensus, mutex, election, txn, snapshot, resilience, sim, check];
