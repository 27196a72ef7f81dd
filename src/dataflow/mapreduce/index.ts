// MapReduce (Dean & Ghemawat, OSDI 2004): the job model, the coordinator and worker machines,
// the host's task runner and the in-process executor.
export * from './job.js';
export * from './messages.js';
export * from './coordinator.js';
export * from './worker.js';
export * from './host.js';
export * from './executor.js';
export * from './invariants.js';
