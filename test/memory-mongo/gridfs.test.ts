import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GridFSBucket, type Db, type GridFSBucketReadStream, type ObjectId } from 'mongodb';
import { connectFreshDatabase } from '../support/mongo.js';

/** Reads a download stream to the end. */
async function readAll(stream: GridFSBucketReadStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('in-memory MongoDB: GridFS', () => {
  let db: Db;
  let close: () => Promise<void>;
  let bucket: GridFSBucket;
  /** Several chunks' worth of non-uniform bytes (the default chunk is 255 KiB). */
  const content = randomBytes(3 * 1024 * 1024 + 12345);

  before(async () => {
    ({ db, close } = await connectFreshDatabase());
    bucket = new GridFSBucket(db);
  });
  after(() => close());

  async function upload(
    target: GridFSBucket,
    name: string,
    data: Buffer,
    metadata?: Record<string, unknown>,
  ): Promise<ObjectId> {
    const stream = target.openUploadStream(name, metadata ? { metadata } : {});
    await pipeline(Readable.from([data]), stream);
    return stream.id;
  }

  it('uploads a multi-chunk file and downloads it byte for byte', async () => {
    const id = await upload(bucket, 'random.bin', content, { owner: 'ann' });
    const chunks = await db.collection('fs.chunks').countDocuments({ files_id: id });
    expect(chunks).to.equal(Math.ceil(content.length / (255 * 1024)));
    const back = await readAll(bucket.openDownloadStream(id));
    expect(back.length).to.equal(content.length);
    expect(back.equals(content)).to.equal(true);
  });

  it('finds files with their length, chunk size, upload date and metadata', async () => {
    const [file] = await bucket.find({ filename: 'random.bin' }).toArray();
    expect(file).to.not.equal(undefined);
    expect(file!.length).to.equal(content.length);
    expect(file!.chunkSize).to.equal(255 * 1024);
    expect(file!.uploadDate).to.be.instanceOf(Date);
    expect(file!.metadata).to.deep.equal({ owner: 'ann' });
    expect(await bucket.find({ 'metadata.owner': 'bob' }).toArray()).to.deep.equal([]);
  });

  it('downloads by name, the latest revision by default', async () => {
    const first = randomBytes(1000);
    const second = randomBytes(2000);
    await upload(bucket, 'versions.bin', first);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await upload(bucket, 'versions.bin', second);
    expect((await readAll(bucket.openDownloadStreamByName('versions.bin'))).equals(second)).to.equal(true);
    expect((await readAll(bucket.openDownloadStreamByName('versions.bin', { revision: 0 }))).equals(first)).to.equal(
      true,
    );
    expect((await readAll(bucket.openDownloadStreamByName('versions.bin', { revision: -2 }))).equals(first)).to.equal(
      true,
    );
  });

  it('downloads a byte range across chunks with start and end', async () => {
    const [file] = await bucket.find({ filename: 'random.bin' }).toArray();
    const start = 1000;
    const end = 600 * 1024 + 7;
    const part = await readAll(bucket.openDownloadStream(file!._id, { start, end }));
    expect(part.equals(content.subarray(start, end))).to.equal(true);
    const tail = await readAll(
      bucket.openDownloadStream(file!._id, { start: content.length - 10, end: content.length }),
    );
    expect(tail.equals(content.subarray(content.length - 10))).to.equal(true);
  });

  it('stores an empty file', async () => {
    const id = await upload(bucket, 'empty.txt', Buffer.alloc(0));
    expect((await readAll(bucket.openDownloadStream(id))).length).to.equal(0);
    const [file] = await bucket.find({ _id: id }).toArray();
    expect(file!.length).to.equal(0);
  });

  it('uses a named bucket with its own chunk size', async () => {
    const photos = new GridFSBucket(db, { bucketName: 'photos', chunkSizeBytes: 1024 });
    const data = randomBytes(10 * 1024 + 1);
    const id = await upload(photos, 'p.jpg', data);
    expect(await db.collection('photos.chunks').countDocuments({ files_id: id })).to.equal(11);
    expect((await readAll(photos.openDownloadStream(id))).equals(data)).to.equal(true);
    const indexes = await db.collection('photos.chunks').listIndexes().toArray();
    expect(indexes.find((i) => i.key.files_id === 1 && i.key.n === 1)?.unique).to.equal(true);
  });

  it('renames a file', async () => {
    const id = await upload(bucket, 'old-name.txt', Buffer.from('hello'));
    await bucket.rename(id, 'new-name.txt');
    expect((await readAll(bucket.openDownloadStreamByName('new-name.txt'))).toString()).to.equal('hello');
    expect(await bucket.find({ filename: 'old-name.txt' }).toArray()).to.deep.equal([]);
  });

  it('deletes a file with its chunks, after which it cannot be downloaded', async () => {
    const id = await upload(bucket, 'doomed.bin', randomBytes(300 * 1024));
    expect(await db.collection('fs.chunks').countDocuments({ files_id: id })).to.equal(2);
    await bucket.delete(id);
    expect(await db.collection('fs.chunks').countDocuments({ files_id: id })).to.equal(0);
    expect(await bucket.find({ _id: id }).toArray()).to.deep.equal([]);
    const failure = await readAll(bucket.openDownloadStream(id)).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(Error);
    expect(String(failure)).to.match(/not found/i);
  });
});
