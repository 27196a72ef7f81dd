import { fixtures } from './fixtures/misc.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('misc', fixtures);
