/**
 * examples/ported-app: a parse-server app (its options object and its cloud/main.js, unchanged)
 * mounted with `createBackend(config)`, run as its own process and driven through the Parse JS SDK
 * over HTTP: hooks with validators, functions, a job, queries and saves made by the cloud code
 * through the SDK, and a Parse.Config trigger.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Parse } from '../support/parse-sdk.js';
import { expectParseError, type SdkObject } from '../sdk/helpers.js';
import { freePort } from '../support/ports.js';

const appDir = fileURLToPath(new URL('../../../examples/ported-app/', import.meta.url));

describe('examples/ported-app: a parse-server cloud/main.js, unchanged', function () {
  this.timeout(30000);
  let child: ChildProcess;
  let output = '';
  const master = { useMasterKey: true };

  before(async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
    delete env.MONGODB_URI;
    child = spawn(process.execPath, ['index.js'], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 150 && !output.includes('movies app on'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(output).to.include('movies app on');
    Parse.initialize('movies', undefined, 'movies-master-key');
    Parse.serverURL = `http://127.0.0.1:${port}/parse`;
  });
  after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  });

  async function movie(title: string): Promise<SdkObject> {
    return new Parse.Object('Movie', { title }).save(null, master);
  }

  async function review(
    user: InstanceType<typeof Parse.User>,
    of: SdkObject,
    stars: number,
    text = '',
  ): Promise<SdkObject> {
    return new Parse.Object('Review', { movie: of, stars, text }).save(null, { sessionToken: user.getSessionToken()! });
  }

  it('runs its hooks: validators, ACLs set in beforeSave, averages kept by afterSave through the SDK', async () => {
    const dune = await movie('Dune');
    const ann = await Parse.User.signUp('ann', 'pass-1234', {});
    const bob = await Parse.User.signUp('bob', 'pass-1234', {});
    await review(ann, dune, 5, 'great');
    await review(bob, dune, 3);
    await dune.fetch(master);
    expect([dune.get('reviewCount'), dune.get('averageStars')]).to.deep.equal([2, 4]);

    const stars = await expectParseError(review(ann, dune, 9), 142);
    expect(stars.message).to.equal('stars must be a whole number from 1 to 5');
    const anonymous = await expectParseError(new Parse.Object('Review', { movie: dune, stars: 4 }).save(), 142);
    expect(anonymous.message).to.equal('Validation failed. Please login to continue.');
    await expectParseError(
      new Parse.Object('Review', { stars: 4 }).save(null, { sessionToken: ann.getSessionToken()! }),
      142,
    );

    // the author owns the review: others read it, only the author changes it
    const [annReview] = await new Parse.Query('Review').equalTo('author', ann).find();
    expect(annReview!.getACL()!.getPublicReadAccess()).to.equal(true);
    annReview!.set('stars', 1);
    await expectParseError(annReview!.save(null, { sessionToken: bob.getSessionToken()! }), 101);
  });

  it('answers its functions through queries the cloud code runs', async () => {
    await movie('Alien');
    const top = (await Parse.Cloud.run('topMovies', { limit: 1 })) as { title: string }[];
    expect(top.map((m) => m.title)).to.deep.equal(['Dune']);
    const carol = await Parse.User.signUp('carol', 'pass-1234', {});
    const alien = await new Parse.Query('Movie').equalTo('title', 'Alien').first(master);
    await review(carol, alien!, 4);
    const mine = (await Parse.Cloud.run('myReviews', {}, { sessionToken: carol.getSessionToken()! })) as SdkObject[];
    expect(mine).to.have.length(1);
    expect((mine[0]!.get('movie') as SdkObject).get('title')).to.equal('Alien');
    await expectParseError(Parse.Cloud.run('myReviews'), 142);
  });

  it('keeps its settings with a Parse.Config trigger, and its hooks read them', async () => {
    const refused = await expectParseError(Parse.Config.save({ maxReviewLength: 5 }, {}), 142);
    expect(refused.message).to.equal('maxReviewLength must be a number of at least 10');
    await Parse.Config.save({ maxReviewLength: 12 }, {});
    const dave = await Parse.User.signUp('dave', 'pass-1234', {});
    const dune = await new Parse.Query('Movie').equalTo('title', 'Dune').first(master);
    const long = await expectParseError(review(dave, dune!, 4, 'far too long a review'), 142);
    expect(long.message).to.equal('a review has at most 12 characters');
  });

  it('runs its job, and its afterDelete cleans up through the SDK', async () => {
    const jobId = await Parse.Cloud.startJob('recountReviews', {});
    let status = await Parse.Cloud.getJobStatus(jobId);
    for (let i = 0; i < 100 && status.get('status') === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 25));
      status = await Parse.Cloud.getJobStatus(jobId);
    }
    expect([status.get('status'), status.get('message')]).to.deep.equal(['succeeded', 'recounted 2 movies']);
    const dune = await new Parse.Query('Movie').equalTo('title', 'Dune').first(master);
    await dune!.destroy(master);
    expect(await new Parse.Query('Review').equalTo('movie', dune).count(master)).to.equal(0);
  });
});
