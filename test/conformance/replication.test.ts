import { fixtures } from './fixtures/replication.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('replication', fixtures);
