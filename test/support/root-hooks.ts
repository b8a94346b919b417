/** Mocha root hooks: stop the shared MongoDB once every test has run. */
import { stopTestMongo } from './mongo.js';

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopTestMongo();
  },
};
