import { expect } from 'chai';
import { appHeaders, startTestBackend, type TestBackend } from '../support/backend.js';
import { useBackend, type ParseSdk } from '../support/parse-sdk.js';

describe('Parse JS SDK: roles', () => {
  let backend: TestBackend;
  let Parse: ParseSdk;
  before(async () => {
    backend = await startTestBackend();
    Parse = useBackend(backend);
  });
  after(() => backend.close());

  it('Parse.Role with users and child roles grants setRoleReadAccess to their members', async () => {
    const signUp = async (username: string) =>
      (await backend.http.post('/parse/users').set(appHeaders).send({ username, password: 'pw' })).body as {
        objectId: string;
        sessionToken: string;
      };
    const editor = await signUp('editor');
    const writer = await signUp('writer');
    const outsider = await signUp('outsider');

    const roleAcl = new Parse.ACL();
    roleAcl.setPublicReadAccess(true);
    const editors = new Parse.Role('Editors', roleAcl);
    editors.getUsers().add(Parse.User.createWithoutData(editor.objectId) as InstanceType<ParseSdk['User']>);
    await editors.save(null, { useMasterKey: true });
    const writers = new Parse.Role('Writers', roleAcl);
    writers.getUsers().add(Parse.User.createWithoutData(writer.objectId) as InstanceType<ParseSdk['User']>);
    await writers.save(null, { useMasterKey: true });
    editors.getRoles().add(writers);
    await editors.save(null, { useMasterKey: true });

    const acl = new Parse.ACL();
    acl.setRoleReadAccess('Editors', true);
    const memo = new Parse.Object('Memo');
    memo.setACL(acl);
    memo.set('text', 'for editors');
    await memo.save(null, { useMasterKey: true });

    const canRead = async (sessionToken: string) => (await new Parse.Query('Memo').find({ sessionToken })).length === 1;
    expect(await canRead(editor.sessionToken)).to.equal(true);
    expect(await canRead(writer.sessionToken)).to.equal(true);
    expect(await canRead(outsider.sessionToken)).to.equal(false);
    const roles = await new Parse.Query(Parse.Role)
      .equalTo('name', 'Editors')
      .find({ sessionToken: outsider.sessionToken });
    expect(roles.map((r) => r.get('name'))).to.deep.equal(['Editors']);
  });

  it("a user saves a role of its own without the master key, under the role's ACL, as in parse-server", async () => {
    const owner = await Parse.User.signUp('crew-owner', 'pw', {});
    const friend = await new Parse.User().save({ username: 'crew-friend', password: 'pw' });
    const sessionToken = owner.getSessionToken()!;
    const acl = new Parse.ACL(owner);
    acl.setPublicReadAccess(true);
    const crew = new Parse.Role('Crew', acl);
    crew.getUsers().add(friend);
    await crew.save(null, { sessionToken });
    const members = await crew.getUsers().query().find({ useMasterKey: true });
    expect(members.map((m) => m.id)).to.deep.equal([friend.id]);
    // Another user may read it but not write it: the ACL answers, with 101.
    const other = await Parse.User.signUp('crew-other', 'pw', {});
    const theirs = await new Parse.Query(Parse.Role).get(crew.id!, { sessionToken: other.getSessionToken()! });
    theirs.getUsers().add(other);
    const error = await theirs.save(null, { sessionToken: other.getSessionToken()! }).catch((e: { code: number }) => e);
    expect((error as { code: number }).code).to.equal(101);
    await Parse.User.logOut();
  });
});
