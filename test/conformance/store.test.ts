import { fixtures } from './fixtures/store.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('store', fixtures);
