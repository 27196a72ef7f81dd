import { fixtures } from './fixtures/resilience.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('resilience', fixtures);
