import { fixtures } from './fixtures/messaging.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('messaging', fixtures);
