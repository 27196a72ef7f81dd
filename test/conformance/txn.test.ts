import { fixtures } from './fixtures/txn.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('txn', fixtures);
