import { fixtures } from './fixtures/chain.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('chain', fixtures);
