import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { Parse, useBackend } from '../support/parse-sdk.js';
import { expectParseError } from './helpers.js';

async function download(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; data: Buffer; type: string | null }> {
  const res = await fetch(url, { headers });
  return { status: res.status, data: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
}

describe('Parse JS SDK: files', () => {
  let backend: TestBackend;
  before(async () => {
    backend = await startTestBackend({ fileUpload: { enableForPublic: true } });
    useBackend(backend);
  });
  after(() => backend.close());

  it('saves a file from bytes and serves it back byte for byte (multi-megabyte)', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const file = new Parse.File('blob.bin', [...data], 'application/octet-stream');
    await file.save();
    expect(file.name()).to.match(/^[0-9a-f]{32}_blob\.bin$/);
    expect(file.url()).to.equal(`${backend.serverURL}/files/test-app/${file.name()}`);
    const got = await download(file.url()!);
    expect(got.status).to.equal(200);
    expect(got.data.equals(data)).to.equal(true);
  });

  it("refuses a client's upload of active content with 130, and lets the master key store it", async () => {
    const page = () =>
      new Parse.File('page.html', { base64: Buffer.from('<p>hi</p>').toString('base64') }, 'text/html');
    const error = await expectParseError(page().save() as Promise<unknown>, Parse.Error.FILE_SAVE_ERROR);
    expect(error.message).to.equal('File upload of extension html is disabled.');
    const stored = await page().save({ useMasterKey: true });
    expect(stored?.url()).to.be.a('string');
  });

  it('saves a file from base64 with its content type, metadata and tags', async () => {
    const data = randomBytes(2048);
    const file = new Parse.File('picture.png', { base64: data.toString('base64') }, 'image/png');
    file.setMetadata({ owner: 'ann' });
    file.setTags({ kind: 'avatar' });
    await file.save();
    const got = await download(file.url()!);
    expect(got.type).to.equal('image/png');
    expect(got.data.equals(data)).to.equal(true);
    const meta = await download(file.url()!.replace('/files/test-app/', '/files/test-app/metadata/'));
    expect(JSON.parse(meta.data.toString())).to.deep.equal({ metadata: { owner: 'ann' } });
  });

  it('saves a Buffer source with metadata through the binary upload', async () => {
    const data = Buffer.from('plain text body');
    // The SDK's Node build takes a Buffer (its typings list only browser sources).
    const file = new Parse.File('note.txt', data as never, 'text/plain');
    file.setMetadata({ lang: 'en' });
    await file.save();
    const meta = await download(file.url()!.replace('/files/test-app/', '/files/test-app/metadata/'));
    expect(JSON.parse(meta.data.toString())).to.deep.equal({ metadata: { lang: 'en' } });
    expect((await download(file.url()!)).data.toString()).to.equal('plain text body');
  });

  it('attaches a file to an object and reads it back with its URL', async () => {
    const file = new Parse.File('doc.txt', { base64: Buffer.from('hello').toString('base64') }, 'text/plain');
    await file.save();
    const doc = new Parse.Object('Document');
    doc.set('attachment', file);
    await doc.save();
    const fetched = await new Parse.Query('Document').get(doc.id!);
    const attached = fetched.get('attachment') as InstanceType<typeof Parse.File>;
    expect(attached).to.be.instanceOf(Parse.File);
    expect(attached.name()).to.equal(file.name());
    expect(attached.url()).to.equal(file.url());
    expect((await download(attached.url()!)).data.toString()).to.equal('hello');
  });

  it("answers a user's own File fields as files on sign-up, login, /users/me and loginAs", async () => {
    const file = new Parse.File('avatar.txt', [1, 2, 3], 'text/plain');
    await file.save();
    await Parse.User.signUp('filed', 'secret-pass', { avatar: file });
    const user = await Parse.User.logIn('filed', 'secret-pass');
    const avatar = user.get('avatar') as InstanceType<typeof Parse.File>;
    expect(avatar).to.be.instanceOf(Parse.File);
    expect(avatar.name()).to.equal(file.name());
    expect(avatar.url()).to.equal(file.url());
    const expected = { __type: 'File', name: file.name(), url: file.url() };
    const me = await backend.http
      .get('/parse/users/me')
      .set(appHeaders)
      .set('X-Parse-Session-Token', user.getSessionToken()!);
    expect(me.body.avatar).to.deep.equal(expected);
    const as = await backend.http.post('/parse/loginAs').set(masterHeaders).send({ userId: user.id });
    expect(as.body.avatar).to.deep.equal(expected);
    await Parse.User.logOut();
  });

  it('serves ranges of a saved file', async () => {
    const file = new Parse.File(
      'alphabet.txt',
      { base64: Buffer.from('abcdefghijklmnopqrstuvwxyz').toString('base64') },
      'text/plain',
    );
    await file.save();
    const part = await download(file.url()!, { Range: 'bytes=3-5' });
    expect(part.status).to.equal(206);
    expect(part.data.toString()).to.equal('def');
  });

  it('destroys a file with the master key only', async () => {
    const file = new Parse.File('temp.txt', { base64: Buffer.from('temp').toString('base64') }, 'text/plain');
    await file.save();
    await file.destroy({ useMasterKey: true });
    expect((await download(file.url()!)).status).to.equal(404);
    const other = new Parse.File('keep.txt', { base64: Buffer.from('keep').toString('base64') }, 'text/plain');
    await other.save();
    const refused = await backend.http
      .delete(new URL(other.url()!).pathname.replace('/files/test-app/', '/files/'))
      .set({ 'X-Parse-Application-Id': 'test-app' });
    expect(refused.status).to.equal(403);
    expect(
      (
        await backend.http
          .delete(new URL(other.url()!).pathname.replace('/files/test-app/', '/files/'))
          .set(masterHeaders)
      ).status,
    ).to.equal(200);
  });

  it('reports refused uploads with their codes', async () => {
    const strict = await startTestBackend({ maxUploadSize: 1024 });
    try {
      useBackend(strict);
      await expectParseError(
        new Parse.File('open.txt', { base64: Buffer.from('x').toString('base64') }, 'text/plain').save()!,
        130,
      );
      const tooBig = new Parse.File('big.bin', [...randomBytes(4096)], 'application/octet-stream');
      await expectParseError(tooBig.save({ useMasterKey: true })!, 129);
    } finally {
      useBackend(backend);
      await strict.close();
    }
  });

  it('runs a beforeSave registered with Parse.File, as Parse 8 code does', async () => {
    const off = backend.backend.cloud.beforeSave(Parse.File, (request) => {
      request.file.metadata = { ...request.file.metadata, checked: true };
    });
    try {
      const file = new Parse.File('checked.txt', { base64: Buffer.from('c').toString('base64') }, 'text/plain');
      await file.save();
      const meta = await download(file.url()!.replace('/files/test-app/', '/files/test-app/metadata/'));
      expect(JSON.parse(meta.data.toString())).to.deep.equal({ metadata: { checked: true } });
    } finally {
      off();
    }
  });
});
