import { fixtures } from './fixtures/cops.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('cops', fixtures);
