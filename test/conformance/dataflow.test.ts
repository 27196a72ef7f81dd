import { fixtures } from './fixtures/dataflow.js';
import { conformanceSuite } from './suite.js';

conformanceSuite('dataflow', fixtures);
