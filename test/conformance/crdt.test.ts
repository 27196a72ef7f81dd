import { fixtures } from './fixtures/crdt.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('crdt', fixtures);
