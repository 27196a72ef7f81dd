// Type-checked against the built package by TypeScript 7, as a CommonJS consumer would.
import core = require('distkit/core');
import clocks = require('distkit/clocks');

export const rng = new core.Random(1);
export const modules = [core, clocks];
