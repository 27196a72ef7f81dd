import { fixtures } from './fixtures/mutex.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('mutex', fixtures);
