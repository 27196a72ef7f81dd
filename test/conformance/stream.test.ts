import { fixtures } from './fixtures/stream.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('stream', fixtures);
