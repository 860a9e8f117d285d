import { pgliteStore } from '../support/stores.js';
import { defineStoreContract } from './store-contract.js';

defineStoreContract('PGlite', pgliteStore);
