import { fixtures } from './fixtures/paxos.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('paxos', fixtures);
