/**
 * `filesAdapter`: parse-server's own files adapters (from the tooling package) behind Plinth,
 * driven through the Parse JS SDK and plain HTTP — parse-server's GridFS adapter, the file-system
 * adapter, and the S3 adapter against a local S3 (s3rver) on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { BackendConfigError, createBackend, ErrorCode } from 'plinth';
import { binary } from '../support/binary.js';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { Parse, useBackend } from '../support/parse-sdk.js';
import { ensureTools, requireTool, resolveTool, TOOLS_INSTALL_TIMEOUT_MS } from '../support/tools.js';

type Adapter = Record<string, unknown>;

interface S3Server {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

interface AdapterCase {
  title: string;
  make(databaseURI: string): Adapter | Promise<Adapter>;
  /** Whether the adapter keeps user metadata (`getMetadata`). */
  keepsMetadata: boolean;
  /** The names the adapter holds now. */
  storedNames(t: TestBackend): Promise<string[]> | string[];
  cleanUp?(): Promise<void> | void;
}

let s3: { server: S3Server; endpoint: string; directory: string } | undefined;

async function startS3(): Promise<{ endpoint: string }> {
  if (s3) return s3;
  const S3rver = requireTool<new (options: Record<string, unknown>) => S3Server>('s3rver');
  const directory = mkdtempSync(join(tmpdir(), 'plinth-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory });
  const { port } = await server.run();
  s3 = { server, endpoint: `http://127.0.0.1:${port}`, directory };
  return s3;
}

function s3Adapter(endpoint: string, options: Record<string, unknown> = {}): Adapter {
  const S3Adapter = requireTool<new (options: Record<string, unknown>) => Adapter>('@parse/s3-files-adapter');
  return new S3Adapter({
    bucket: 'plinth-files',
    region: 'us-east-1',
    s3overrides: {
      endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    },
    ...options,
  });
}

/** The file-system adapter writes below `./files` of the working directory. */
const fsDirectory = `plinth-test-${process.pid}-${randomBytes(4).toString('hex')}`;
function removeFsFiles(): void {
  rmSync(join('files', fsDirectory), { recursive: true, force: true });
  if (existsSync('files') && readdirSync('files').length === 0) rmSync('files', { recursive: true });
}

const CASES: AdapterCase[] = [
  {
    title: "parse-server's GridFSBucketAdapter",
    make(databaseURI) {
      const { GridFSBucketAdapter } = requireTool<{ GridFSBucketAdapter: new (uri: string) => Adapter }>(
        'parse-server/lib/Adapters/Files/GridFSBucketAdapter.js',
      );
      return new GridFSBucketAdapter(databaseURI);
    },
    keepsMetadata: true,
    async storedNames(t) {
      const files = await (await t.db()).collection('fs.files').find().toArray();
      return files.map((file) => String(file.filename));
    },
  },
  {
    title: '@parse/fs-files-adapter',
    make() {
      const FileSystemAdapter =
        requireTool<new (options: Record<string, unknown>) => Adapter>('@parse/fs-files-adapter');
      return new FileSystemAdapter({ filesSubDirectory: fsDirectory });
    },
    keepsMetadata: false,
    storedNames: () => readdirSync(join('files', fsDirectory)),
    cleanUp: removeFsFiles,
  },
  {
    title: '@parse/s3-files-adapter on a local S3',
    async make() {
      return s3Adapter((await startS3()).endpoint);
    },
    keepsMetadata: false,
    storedNames: () =>
      readdirSync(join(s3!.directory, 'plinth-files'))
        .filter((name) => name.endsWith('._S3rver_object'))
        .map((name) => name.slice(0, -'._S3rver_object'.length)),
  },
];

describe('filesAdapter: parse-server files adapters, unchanged', function () {
  before(function () {
    // The adapters come from the tooling package, installed on first use.
    this.timeout(TOOLS_INSTALL_TIMEOUT_MS);
    ensureTools();
  });
  after(async () => {
    await s3?.server.close();
    if (s3) rmSync(s3.directory, { recursive: true, force: true });
    s3 = undefined;
  });

  for (const adapterCase of CASES) {
    describe(adapterCase.title, () => {
      let t: TestBackend;
      const hookCalls: string[] = [];
      before(async () => {
        const probe = await startTestBackend();
        const databaseURI = probe.databaseURI;
        await probe.close();
        t = await startTestBackend({
          databaseURI,
          filesAdapter: (await adapterCase.make(databaseURI)) as never,
          fileUpload: { enableForPublic: true },
          maxUploadSize: '1mb',
        });
        t.backend.cloud.beforeSave('@File', (request) => {
          hookCalls.push(`beforeSave ${request.file.name}`);
          if (request.file.name.startsWith('refused')) throw new Error('no refused files');
        });
        t.backend.cloud.afterSave('@File', (request) => {
          hookCalls.push(`afterSave ${request.file.name}`);
        });
        useBackend(t);
      });
      after(async () => {
        await t?.close();
        await adapterCase.cleanUp?.();
      });

      const path = (url: string) => new URL(url).pathname;

      it('uploads through the SDK, serves the bytes back, and runs the file hooks', async () => {
        const file = new Parse.File(
          'hello.txt',
          { base64: Buffer.from('hello adapter').toString('base64') },
          'text/plain',
        );
        file.setMetadata({ owner: 'ada' });
        await file.save();
        expect(file.name()).to.match(/^[0-9a-f]{32}_hello\.txt$/);
        expect(file.url()).to.equal(`${t.serverURL}/files/test-app/${file.name()}`);
        expect(hookCalls).to.include.members([`beforeSave hello.txt`, `afterSave ${file.name()}`]);
        const got = await t.http.get(path(file.url()!)).buffer(true).parse(binary);
        expect(got.status).to.equal(200);
        expect(got.headers['content-type']).to.match(/^text\/plain/);
        expect((got.body as Buffer).toString()).to.equal('hello adapter');
        // A refusing hook stops the upload before the adapter stores anything.
        const refused = new Parse.File('refused.txt', { base64: 'aGk=' }, 'text/plain');
        const err = await refused.save()!.then(
          () => null,
          (e: unknown) => e as { code: number },
        );
        expect(err).to.have.property('code', ErrorCode.FILE_SAVE_ERROR);
      });

      it('stores raw uploads, answers ranges with 206, and a missing file with 404', async () => {
        const data = Buffer.from('0123456789abcdefghij');
        const res = await t.http
          .post('/parse/files/range.txt')
          .set(appHeaders)
          .set('Content-Type', 'text/plain')
          .send(data);
        expect(res.status).to.equal(201);
        const url = path(res.body.url);
        const part = await t.http.get(url).set('Range', 'bytes=5-9').buffer(true).parse(binary);
        expect(part.status).to.equal(206);
        expect((part.body as Buffer).toString()).to.equal('56789');
        // The range goes to the adapter's handleFileStream when it has one, as parse-server hands it;
        // parse-server's GridFS adapter writes the range's end one past the last byte.
        expect(part.headers['content-range']).to.match(/^bytes 5-(9|10)\/20$/);
        const whole = await t.http.get(url).buffer(true).parse(binary);
        expect((whole.body as Buffer).toString()).to.equal(data.toString());
        const missing = await t.http.get('/parse/files/test-app/nothing-here.txt');
        expect(missing.status).to.equal(404);
        expect(missing.text).to.equal('File not found.');
        const missingRange = await t.http.get('/parse/files/test-app/nothing-here.txt').set('Range', 'bytes=0-3');
        expect(missingRange.status).to.equal(404);
      });

      it("keeps an object's File field pointing at the stored file", async () => {
        const file = (await new Parse.File('avatar.png', { base64: randomBytes(64).toString('base64') }).save())!;
        const profile = await new Parse.Object('Profile').set('avatar', file).save();
        const fetched = await new Parse.Query('Profile').get(profile.id!);
        const avatar = fetched.get('avatar') as InstanceType<typeof Parse.File>;
        expect(avatar.name()).to.equal(file.name());
        expect(avatar.url()).to.equal(file.url());
        const got = await t.http.get(path(avatar.url()!)).buffer(true).parse(binary);
        expect((got.body as Buffer).length).to.equal(64);
      });

      it(`answers metadata as the adapter keeps it (${adapterCase.keepsMetadata ? 'kept' : 'not kept'})`, async () => {
        const res = await t.http
          .post('/parse/files/meta.txt')
          .set(appHeaders)
          .set('Content-Type', 'text/plain')
          .set('X-Parse-File-Metadata', JSON.stringify({ team: 'blue' }))
          .send('with metadata');
        const meta = await t.http.get(`/parse/files/test-app/metadata/${res.body.name}`);
        expect(meta.status).to.equal(200);
        expect(meta.body).to.deep.equal(adapterCase.keepsMetadata ? { metadata: { team: 'blue' } } : {});
        const none = await t.http.get('/parse/files/test-app/metadata/not-stored.txt');
        expect(none.body).to.deep.equal({});
      });

      it('deletes with the master key only, through the SDK and REST', async () => {
        const file = (await new Parse.File('gone.txt', { base64: Buffer.from('bye').toString('base64') }).save())!;
        const anonymous = await t.http.delete(`/parse/files/${file.name()}`).set(appHeaders);
        expect(anonymous.status).to.equal(403);
        expect((await t.http.get(path(file.url()!))).status).to.equal(200);
        await file.destroy({ useMasterKey: true });
        expect((await t.http.get(path(file.url()!))).status).to.equal(404);
      });

      it('refuses an upload over maxUploadSize with 129 and keeps nothing of it', async () => {
        const declared = await t.http
          .post('/parse/files/huge.bin')
          .set(appHeaders)
          .set('Content-Type', 'application/octet-stream')
          .send(randomBytes(1024 * 1024 + 1));
        expect(declared.status).to.equal(413);
        expect(declared.body.code).to.equal(ErrorCode.FILE_TOO_LARGE);
        // Without a length, the limit is found while the bytes stream to the adapter.
        const chunks = [randomBytes(600 * 1024), randomBytes(600 * 1024)];
        const streamed = await fetch(`${t.serverURL}/files/streamed-huge.bin`, {
          method: 'POST',
          headers: { ...appHeaders, 'Content-Type': 'application/octet-stream' },
          body: new ReadableStream({
            pull(controller) {
              const chunk = chunks.shift();
              if (chunk) controller.enqueue(chunk);
              else controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit);
        expect(streamed.status).to.equal(413);
        expect(((await streamed.json()) as { code: number }).code).to.equal(ErrorCode.FILE_TOO_LARGE);
        const names = await adapterCase.storedNames(t);
        expect(names.filter((name) => name.includes('huge'))).to.deep.equal([]);
        expect(names.length).to.be.greaterThan(0);
      });
    });
  }

  describe('the S3 adapter with direct access', () => {
    let t: TestBackend;
    let endpoint: string;
    before(async () => {
      ({ endpoint } = await startS3());
      t = await startTestBackend({
        filesAdapter: s3Adapter(endpoint, {
          directAccess: true,
          baseUrl: `${endpoint}/plinth-files`,
          validateFilename: (name: string) => (name.includes('secret') ? 'Names may not say secret.' : null),
        }) as never,
        fileUpload: { enableForPublic: true },
      });
      useBackend(t);
    });
    after(() => t?.close());

    it("gives files the adapter's (asynchronous) location, in uploads and in the objects read", async () => {
      const file = (await new Parse.File('direct.txt', { base64: Buffer.from('from s3').toString('base64') }).save())!;
      expect(file.url()).to.equal(`${endpoint}/plinth-files/${file.name()}`);
      const doc = await new Parse.Object('Doc').set('attachment', file).save();
      const [found] = await new Parse.Query('Doc').equalTo('objectId', doc.id).find();
      expect((found!.get('attachment') as InstanceType<typeof Parse.File>).url()).to.equal(file.url());
      const viaRest = await t.http.get(`/parse/classes/Doc/${doc.id}`).set(appHeaders);
      expect(viaRest.body.attachment.url).to.equal(file.url());
      // The URL is S3's own: the bytes come from there.
      const direct = await fetch(file.url()!);
      expect(await direct.text()).to.equal('from s3');
    });

    it("hands file hooks the adapter's location", async () => {
      const seen: (string | undefined)[] = [];
      const off = t.backend.cloud.beforeDelete('@File', (request) => {
        seen.push(request.file.url);
      });
      try {
        const file = (await new Parse.File('hooked.txt', { base64: Buffer.from('x').toString('base64') }).save())!;
        await file.destroy({ useMasterKey: true });
        expect(seen).to.deep.equal([`${endpoint}/plinth-files/${file.name()}`]);
      } finally {
        off();
      }
    });

    it("applies the adapter's own file name rule with 122", async () => {
      const res = await t.http
        .post('/parse/files/my-secret.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ code: ErrorCode.INVALID_FILE_NAME, error: 'Names may not say secret.' });
    });
  });

  describe('the forms of the option', () => {
    it('loads { module, options } by module path, as parse-server does', async () => {
      const t = await startTestBackend({
        filesAdapter: { module: resolveTool('@parse/fs-files-adapter'), options: { filesSubDirectory: fsDirectory } },
        fileUpload: { enableForPublic: true },
      });
      try {
        const res = await t.http
          .post('/parse/files/mod.txt')
          .set(appHeaders)
          .set('Content-Type', 'text/plain')
          .send('m');
        expect(res.status).to.equal(201);
        expect(readdirSync(join('files', fsDirectory))).to.include(res.body.name);
        const del = await t.http.delete(`/parse/files/${res.body.name}`).set(masterHeaders);
        expect(del.status).to.equal(200);
        expect(readdirSync(join('files', fsDirectory))).not.to.include(res.body.name);
      } finally {
        await t.close();
        removeFsFiles();
      }
    });

    it('refuses at startup an adapter without the contract, or one that cannot be loaded', () => {
      const base = { appId: 'a', masterKey: 'm', databaseURI: 'mongodb://127.0.0.1:1/x' };
      expect(() => createBackend({ ...base, filesAdapter: { createFile() {} } as never }))
        .to.throw(BackendConfigError)
        .with.property('message')
        .that.matches(/filesAdapter: must have deleteFile, getFileData, getFileLocation/);
      expect(() => createBackend({ ...base, filesAdapter: { module: '/no/such/adapter.js' } }))
        .to.throw(BackendConfigError)
        .with.property('message')
        .that.matches(/filesAdapter: could not be loaded/);
      expect(() =>
        createBackend({
          ...base,
          filesAdapter: {
            createFile: () => Promise.resolve(),
            deleteFile: () => Promise.resolve(),
            getFileData: () => Promise.resolve(Buffer.alloc(0)),
            getFileLocation: () => '',
            handleFileStream: 'yes',
          } as never,
        }),
      ).to.throw(BackendConfigError, /handleFileStream must be a function/);
    });

    it('answers 130 when the adapter fails to store, without losing the request', async () => {
      const cleanedUp: string[] = [];
      const failing = {
        createFile: () => Promise.reject(new Error('disk full')),
        deleteFile: (name: string) => {
          cleanedUp.push(name);
          return Promise.resolve();
        },
        getFileData: () => Promise.reject(new Error('missing')),
        getFileLocation: (config: { mount: string; applicationId: string }, name: string) =>
          `${config.mount}/files/${config.applicationId}/${name}`,
      };
      const errors: string[] = [];
      const t = await startTestBackend({
        filesAdapter: failing,
        fileUpload: { enableForPublic: true },
        logger: { error: (message) => errors.push(message) },
      });
      try {
        const res = await t.http.post('/parse/files/a.txt').set(appHeaders).set('Content-Type', 'text/plain').send('x');
        expect(res.status).to.equal(400);
        expect(res.body.code).to.equal(ErrorCode.FILE_SAVE_ERROR);
        expect(res.body.error).to.match(/^Could not store file: [0-9a-f]{32}_a\.txt\.$/);
        expect(errors).to.include('filesAdapter.createFile failed');
        // What a failed write may have left is removed.
        expect(cleanedUp).to.deep.equal([res.body.error.slice('Could not store file: '.length, -1)]);
      } finally {
        await t.close();
      }
    });
  });
});
