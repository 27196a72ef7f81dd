import { fixtures } from './fixtures/raft.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('raft', fixtures);
