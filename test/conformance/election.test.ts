import { fixtures } from './fixtures/election.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('election', fixtures);
