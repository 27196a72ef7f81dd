import { fixtures } from './fixtures/byzantine.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('byzantine', fixtures);
