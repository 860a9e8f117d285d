import { postgresAvailable, postgresStore } from '../support/stores.js';
import { defineStoreContract } from './store-contract.js';

defineStoreContract('PostgreSQL server', () => postgresStore(), { skip: !postgresAvailable() });
