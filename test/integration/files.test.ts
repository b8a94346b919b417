import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { BackendConfigError, BackendError, createBackend, ErrorCode } from 'plinth';
import { binary } from '../support/binary.js';
import { appHeaders, masterHeaders, startTestBackend, type TestBackend } from '../support/backend.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('REST /files', () => {
  let t: TestBackend;
  before(async () => {
    t = await startTestBackend({ fileUpload: { enableForPublic: true }, maxUploadSize: '8mb' });
  });
  after(() => t.close());

  const path = (url: string) => new URL(url).pathname;
  const upload = (name: string, data: Buffer | string, type = 'application/octet-stream') =>
    t.http.post(`/parse/files/${name}`).set(appHeaders).set('Content-Type', type).send(data);

  it('stores a multi-megabyte raw upload and serves it back byte for byte', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const res = await upload('big.bin', data);
    expect(res.status).to.equal(201);
    expect(res.body.name).to.match(/^[0-9a-f]{32}_big\.bin$/);
    expect(res.body.url).to.equal(`${t.serverURL}/files/test-app/${res.body.name}`);
    expect(res.headers.location).to.equal(res.body.url);
    const got = await t.http.get(path(res.body.url)).buffer(true).parse(binary);
    expect(got.status).to.equal(200);
    expect(got.headers['content-length']).to.equal(String(data.length));
    expect(got.headers['content-type']).to.equal('application/octet-stream');
    expect(got.headers.etag).to.be.a('string');
    expect(sha(got.body as Buffer)).to.equal(sha(data));
  });

  it('answers ranges with 206 and the right bytes, a bad range with 416', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    const { body } = await upload('range.txt', data, 'text/plain');
    const url = path(body.url);
    const part = await t.http.get(url).set('Range', 'bytes=5-9').buffer(true).parse(binary);
    expect(part.status).to.equal(206);
    expect(part.headers['content-range']).to.equal('bytes 5-9/20');
    expect((part.body as Buffer).toString()).to.equal('56789');
    const open = await t.http.get(url).set('Range', 'bytes=15-').buffer(true).parse(binary);
    expect((open.body as Buffer).toString()).to.equal('fghij');
    const suffix = await t.http.get(url).set('Range', 'bytes=-3').buffer(true).parse(binary);
    expect((suffix.body as Buffer).toString()).to.equal('hij');
    const bad = await t.http.get(url).set('Range', 'bytes=50-60');
    expect(bad.status).to.equal(416);
    expect(bad.headers['content-range']).to.equal('bytes */20');
    const cached = await t.http.get(url).set('If-None-Match', part.headers.etag!);
    expect(cached.status).to.equal(304);
  });

  it('serves user content safely: nosniff, and markup only as an attachment', async () => {
    for (const [name, type, disposition] of [
      ['page.html', 'text/html', 'attachment'],
      ['logo.svg', 'image/svg+xml', 'attachment'],
      ['feed.xml', 'application/xml', 'attachment'],
      ['photo.png', 'image/png', 'inline'],
    ] as const) {
      // Clients may not upload markup by default; the master key may, and it is still served inertly.
      const { body } = await t.http
        .post(`/parse/files/${name}`)
        .set(masterHeaders)
        .set('Content-Type', 'text/plain')
        .send('<html><script>alert(1)</script></html>');
      const res = await t.http.get(path(body.url));
      expect(res.headers['x-content-type-options'], name).to.equal('nosniff');
      expect(res.headers['content-type'], name).to.include(type);
      expect(res.headers['content-disposition'], name).to.match(new RegExp(`^${disposition}`));
    }
  });

  it('accepts the JS SDK form: base64 JSON with its content type and metadata', async () => {
    const data = randomBytes(1000);
    const res = await t.http
      .post('/parse/files/avatar')
      .set('Content-Type', 'text/plain')
      .send(
        JSON.stringify({
          _ApplicationId: 'test-app',
          base64: data.toString('base64'),
          _ContentType: 'image/png',
          fileData: { metadata: { owner: 'ann' }, tags: { kind: 'avatar' } },
        }),
      );
    expect(res.status).to.equal(201);
    expect(res.body.name).to.match(/_avatar\.png$/);
    const got = await t.http.get(path(res.body.url)).buffer(true).parse(binary);
    expect(got.headers['content-type']).to.equal('image/png');
    expect(sha(got.body as Buffer)).to.equal(sha(data));
    const meta = await t.http.get(path(res.body.url).replace('/files/test-app/', '/files/test-app/metadata/'));
    expect(meta.body).to.deep.equal({ metadata: { owner: 'ann' } });
  });

  it('takes a multipart form upload', async () => {
    const data = randomBytes(300 * 1024);
    const res = await t.http
      .post('/parse/files')
      .set(appHeaders)
      .attach('file', data, { filename: 'form.bin', contentType: 'application/octet-stream' });
    expect(res.status).to.equal(201);
    expect(res.body.name).to.match(/_form\.bin$/);
    const got = await t.http.get(path(res.body.url)).buffer(true).parse(binary);
    expect(sha(got.body as Buffer)).to.equal(sha(data));
  });

  it('stores files in GridFS as parse-server does', async () => {
    const { body } = await upload('layout.txt', 'layout', 'text/plain');
    const client = await MongoClient.connect(t.databaseURI);
    try {
      const files = await client.db().collection('fs.files').find({ filename: body.name }).toArray();
      expect(files).to.have.length(1);
      expect(files[0]!.length).to.equal(6);
      expect(await client.db().collection('fs.chunks').countDocuments({ files_id: files[0]!._id })).to.equal(1);
    } finally {
      await client.close();
    }
  });

  it('deletes with the master key only, and answers 153 for a missing file', async () => {
    const { body } = await upload('gone.txt', 'bye', 'text/plain');
    expect((await t.http.delete(`/parse/files/${body.name}`).set(appHeaders)).status).to.equal(403);
    expect((await t.http.delete(`/parse/files/${body.name}`).set(masterHeaders)).body).to.deep.equal({});
    expect((await t.http.get(path(body.url))).status).to.equal(404);
    const again = await t.http.delete(`/parse/files/${body.name}`).set(masterHeaders);
    expect(again.status).to.equal(400);
    expect(again.body.code).to.equal(153);
  });

  it('refuses bad names with 122 and missing files with 404', async () => {
    expect((await t.http.post('/parse/files').set(appHeaders).send('x')).body.code).to.equal(122);
    for (const name of ['.hidden', 'a%2Fb', 'semi;colon', 'x'.repeat(129)]) {
      const res = await upload(name, 'x', 'text/plain');
      expect(res.status, name).to.equal(400);
      expect(res.body.code, name).to.equal(122);
    }
    // As parse-server: a missing file is a plain-text 404, another app's link a 403, its metadata empty.
    const missing = await t.http.get('/parse/files/test-app/nope.txt');
    expect(missing.status).to.equal(404);
    expect(missing.headers['content-type']).to.match(/^text\/plain/);
    expect(missing.text).to.equal('File not found.');
    const ranged = await t.http.get('/parse/files/test-app/nope.txt').set('Range', 'bytes=13-240');
    expect([ranged.status, ranged.text]).to.deep.equal([404, 'File not found.']);
    const otherApp = await t.http.get('/parse/files/other-app/nope.txt');
    expect([otherApp.status, otherApp.body]).to.deep.equal([403, { error: 'Permission denied' }]);
    const otherMetadata = await t.http.get('/parse/files/other-app/metadata/nope.txt');
    expect([otherMetadata.status, otherMetadata.body]).to.deep.equal([200, {}]);
    expect(
      (await t.http.post('/parse//files/double.txt').set(appHeaders).set('Content-Type', 'text/plain').send('x'))
        .status,
    ).to.equal(201);
    expect((await upload('empty.txt', '', 'text/plain')).body.code).to.equal(130);
  });

  it('refuses uploads over maxUploadSize with 413/129 and keeps nothing of them', async () => {
    const small = await startTestBackend({ fileUpload: { enableForPublic: true }, maxUploadSize: 64 * 1024 });
    try {
      const declared = await small.http
        .post('/parse/files/big.bin')
        .set(appHeaders)
        .set('Content-Type', 'application/octet-stream')
        .send(randomBytes(100 * 1024));
      expect(declared.status).to.equal(413);
      expect(declared.body.code).to.equal(129);
      const form = await small.http
        .post('/parse/files')
        .set(appHeaders)
        .attach('file', randomBytes(100 * 1024), 'big.bin');
      expect(form.status).to.equal(413);
      expect(form.body.code).to.equal(129);
      const client = await MongoClient.connect(small.databaseURI);
      try {
        expect(await client.db().collection('fs.files').countDocuments()).to.equal(0);
        expect(await client.db().collection('fs.chunks').countDocuments()).to.equal(0);
      } finally {
        await client.close();
      }
    } finally {
      await small.close();
    }
  });

  it('applies the upload policy and the extension allowlist with 130', async () => {
    const closed = await startTestBackend({ fileUpload: { fileExtensions: ['^(png|txt)$'] } });
    try {
      const publicUpload = await closed.http
        .post('/parse/files/a.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(publicUpload.body).to.deep.equal({ code: 130, error: 'File upload by public is disabled.' });
      const master = await closed.http
        .post('/parse/files/a.txt')
        .set(masterHeaders)
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(master.status).to.equal(201);
      // As in parse-server, the master key is not held to the extension list.
      const byMaster = await closed.http
        .post('/parse/files/a.exe')
        .set(masterHeaders)
        .set('Content-Type', 'application/octet-stream')
        .send('x');
      expect(byMaster.status).to.equal(201);
    } finally {
      await closed.close();
    }
  });

  it("judges extensions as parse-server does: regular expressions, the type's subtype without a name extension, active content refused by default", async () => {
    const upload = (server: TestBackend, name: string, type: string) =>
      server.http.post(`/parse/files/${name}`).set(appHeaders).set('Content-Type', type).send('x');
    for (const [name, type, refused] of [
      ['page.html', 'text/plain', 'html'],
      ['image.svg', 'image/svg+xml', 'svg'],
      ['noextension', 'text/html; charset=utf-8', 'html'],
      ['doc.XHTML', 'text/plain', 'XHTML'],
    ] as const) {
      expect((await upload(t, name, type)).body, name).to.deep.equal({
        code: 130,
        error: `File upload of extension ${refused} is disabled.`,
      });
    }
    await upload(t, 'notes.txt', 'text/plain').expect(201);
    await upload(t, 'photo', 'image/png').expect(201);
    const custom = await startTestBackend({
      fileUpload: { enableForPublic: true, fileExtensions: ['^jpe?g$', 'png'] },
    });
    const any = await startTestBackend({ fileUpload: { enableForPublic: true, fileExtensions: ['*'] } });
    try {
      await upload(custom, 'a.jpeg', 'image/jpeg').expect(201);
      await upload(custom, 'a.png', 'image/png').expect(201);
      expect((await upload(custom, 'a.gif', 'image/gif')).body.code).to.equal(130);
      await upload(any, 'a.html', 'text/html').expect(201);
    } finally {
      await custom.close();
      await any.close();
    }
    expect(() =>
      createBackend({ appId: 'x', masterKey: 'y', databaseURI: t.databaseURI, fileUpload: { fileExtensions: ['('] } }),
    ).to.throw(BackendConfigError, /fileExtensions: \( is not a valid regular expression/);
  });

  it('tells anonymous and logged-in users apart for the upload policy', async () => {
    const policy = await startTestBackend({
      fileUpload: { enableForAnonymousUser: false, enableForAuthenticatedUser: true },
    });
    const client = await MongoClient.connect(policy.databaseURI);
    try {
      const db = client.db();
      const expiresAt = new Date(Date.now() + 3600_000);
      await db.collection('_User').insertMany([
        { _id: 'anon000001', username: 'anon', _auth_data_anonymous: { id: 'x' } },
        { _id: 'user000001', username: 'ann' },
      ] as never[]);
      await db.collection('_Session').insertMany([
        { _id: 's1', _session_token: 'r:anon', _p_user: '_User$anon000001', expiresAt },
        { _id: 's2', _session_token: 'r:ann', _p_user: '_User$user000001', expiresAt },
      ] as never[]);
      const send = (token: string) =>
        policy.http
          .post('/parse/files/p.txt')
          .set({ ...appHeaders, 'X-Parse-Session-Token': token })
          .set('Content-Type', 'text/plain')
          .send('x');
      expect((await send('r:anon')).body).to.deep.equal({
        code: 130,
        error: 'File upload by anonymous user is disabled.',
      });
      expect((await send('r:ann')).status).to.equal(201);
      expect((await send('r:nobody')).body.code).to.equal(209);
    } finally {
      await client.close();
      await policy.close();
    }
  });

  it('runs afterFind, beforeDelete and afterDelete file hooks', async () => {
    const hooked = await startTestBackend({ fileUpload: { enableForPublic: true } });
    const deleted: string[] = [];
    try {
      hooked.backend.cloud.afterFind('@File', (request) => {
        request.file.data = Buffer.concat([request.file.data!, Buffer.from('!')]);
      });
      hooked.backend.cloud.beforeDelete('@File', (request) => {
        if (request.file.name.includes('keep')) throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'kept');
      });
      hooked.backend.cloud.afterDeleteFile((request) => {
        deleted.push(request.file.name);
      });
      const { body } = await hooked.http
        .post('/parse/files/hi.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('hi');
      expect((await hooked.http.get(path(body.url))).text).to.equal('hi!');
      const kept = await hooked.http
        .post('/parse/files/keep.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('k');
      expect((await hooked.http.delete(`/parse/files/${kept.body.name}`).set(masterHeaders)).body.code).to.equal(119);
      await hooked.http.delete(`/parse/files/${body.name}`).set(masterHeaders).expect(200);
      expect(deleted).to.deep.equal([body.name]);
    } finally {
      await hooked.close();
    }
  });

  it('runs file hooks: beforeSave renames, replaces or refuses; beforeFind guards downloads', async () => {
    const hooked = await startTestBackend({ fileUpload: { enableForPublic: true } });
    const seen: string[] = [];
    try {
      hooked.backend.cloud.beforeSave('@File', (request) => {
        if (request.file.name.startsWith('bad')) throw new BackendError(ErrorCode.VALIDATION_ERROR, 'no bad files');
        request.file.name = `renamed-${request.file.name}`;
        request.file.data = Buffer.from(request.file.data!.toString().toUpperCase());
      });
      hooked.backend.cloud.afterSave('@File', (request) => {
        seen.push(`saved ${request.file.name} ${request.fileSize}`);
      });
      hooked.backend.cloud.beforeFind('@File', (request) => {
        if (request.file.name.includes('secret')) throw new BackendError(ErrorCode.OPERATION_FORBIDDEN, 'secret');
      });
      const res = await hooked.http
        .post('/parse/files/note.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('quiet');
      expect(res.status).to.equal(201);
      expect(res.body.name).to.match(/_renamed-note\.txt$/);
      expect((await hooked.http.get(path(res.body.url))).text).to.equal('QUIET');
      expect(seen).to.deep.equal([`saved ${res.body.name} 5`]);
      const refused = await hooked.http
        .post('/parse/files/bad.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('x');
      expect(refused.body).to.deep.equal({ code: 142, error: 'no bad files' });
      const secret = await hooked.http
        .post('/parse/files/secret.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('x');
      const download = await hooked.http.get(path(secret.body.url));
      expect(download.status).to.equal(400);
      expect(download.body.code).to.equal(119);
      const meta = await hooked.http.get(
        path(secret.body.url).replace('/files/test-app/', '/files/test-app/metadata/'),
      );
      expect(meta.body.code).to.equal(119);
    } finally {
      await hooked.close();
    }
  });

  it('with signed URLs, serves files only with a valid, unexpired token', async () => {
    const signed = await startTestBackend({
      fileUpload: { enableForPublic: true },
      fileUrlSigning: { secret: 'a'.repeat(40), expiresInSeconds: 1 },
    });
    try {
      const res = await signed.http
        .post('/parse/files/s.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('signed');
      const url = new URL(res.body.url);
      expect(url.searchParams.get('token')).to.be.a('string');
      expect((await signed.http.get(url.pathname + url.search)).text).to.equal('signed');
      expect((await signed.http.get(url.pathname)).status).to.equal(403);
      expect((await signed.http.get(`${url.pathname}?token=forged`)).status).to.equal(403);
      // A token for another file does not open this one.
      const other = await signed.http
        .post('/parse/files/o.txt')
        .set(appHeaders)
        .set('Content-Type', 'text/plain')
        .send('other');
      const otherToken = new URL(other.body.url).searchParams.get('token');
      expect((await signed.http.get(`${url.pathname}?token=${otherToken}`)).status).to.equal(403);
      // Objects carry signed URLs too.
      await signed.http
        .post('/parse/classes/Doc')
        .set(appHeaders)
        .send({ file: { __type: 'File', name: res.body.name } })
        .expect(201);
      const doc = await signed.http.get('/parse/classes/Doc').set(appHeaders);
      expect(doc.body.results[0].file.url).to.include('?token=');
      await new Promise((r) => setTimeout(r, 2100));
      expect((await signed.http.get(url.pathname + url.search)).status).to.equal(403);
    } finally {
      await signed.close();
    }
  });
});
