/* The todo page: plain browser JavaScript on the Parse JS SDK (window.Parse), talking to Plinth.
 * window.TODO_CONFIG (from config.js) names the app id and the backend's URL. */
/* global Parse, TODO_CONFIG */
'use strict';

Parse.initialize(TODO_CONFIG.appId);
Parse.serverURL = TODO_CONFIG.serverURL;

const $ = (selector) => document.querySelector(selector);
/** The todos on screen, by objectId: as the last query returned them, then as LiveQuery tells. */
let todos = new Map();
/** The LiveQuery subscription that keeps this page current while a user is logged in. */
let subscription = null;

function showError(error) {
  $('#error').textContent = error ? error.message || String(error) : '';
  $('#error').hidden = !error;
}

/** Runs one user action: clears the last error, shows the new one; body[data-state] says when it is done. */
async function act(action) {
  showError(null);
  document.body.dataset.state = 'busy';
  try {
    await action();
  } catch (error) {
    if (error && error.code === Parse.Error.INVALID_SESSION_TOKEN) await signedOut();
    showError(error);
  } finally {
    document.body.dataset.state = 'idle';
  }
}

async function signedOut() {
  unwatch();
  await Parse.User.logOut().catch(() => undefined);
  todos = new Map();
  $('#list').replaceChildren();
  show();
}

function show() {
  const user = Parse.User.current();
  $('#auth').hidden = Boolean(user);
  $('#todos').hidden = !user;
  $('#who').textContent = user ? user.getUsername() : '';
}

/** Reads the todos again. No filter on the owner: the ACLs decide what comes back. */
async function refresh() {
  const results = await new Parse.Query('Todo').ascending('createdAt').limit(1000).find();
  todos = new Map(results.map((todo) => [todo.id, todo]));
  redraw();
}

function redraw() {
  const list = [...todos.values()].sort((a, b) => a.createdAt - b.createdAt);
  $('#list').replaceChildren(...list.map(render));
  $('#empty').hidden = list.length > 0;
}

/** Follows the user's todos as other pages (or other people) change them; the ACLs decide here too. */
async function watch() {
  unwatch();
  if (!Parse.User.current()) return;
  subscription = await new Parse.Query('Todo').subscribe();
  const shown = (todo) => {
    todos.set(todo.id, todo);
    redraw();
  };
  const gone = (todo) => {
    todos.delete(todo.id);
    redraw();
  };
  for (const event of ['create', 'enter', 'update']) subscription.on(event, shown);
  for (const event of ['leave', 'delete']) subscription.on(event, gone);
}

function unwatch() {
  if (subscription) subscription.unsubscribe();
  subscription = null;
}

function render(todo) {
  const item = $('#todo-item').content.firstElementChild.cloneNode(true);
  item.dataset.id = todo.id;
  item.classList.toggle('is-done', Boolean(todo.get('done')));
  item.querySelector('.title').textContent = todo.get('title');
  item.querySelector('.done').checked = Boolean(todo.get('done'));
  const image = todo.get('image');
  if (image) {
    item.querySelector('.attach-text').textContent = 'Replace image';
    const img = item.querySelector('.image');
    img.src = image.url();
    img.alt = `Image for ${todo.get('title')}`;
    img.hidden = false;
  }
  return item;
}

/** File names the server accepts: letters, digits, `@ . ~ _ -` and spaces. */
function safeFileName(name) {
  return name.replace(/[^A-Za-z0-9@.~_ -]/g, '_').slice(-100) || 'image';
}

function credentials() {
  return [$('#username').value.trim(), $('#password').value];
}

$('#auth-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void act(async () => {
    await Parse.User.logIn(...credentials());
    $('#password').value = '';
    show();
    await refresh();
    await watch();
  });
});

$('#signup').addEventListener('click', () => {
  void act(async () => {
    const [username, password] = credentials();
    const user = new Parse.User();
    user.set('username', username);
    user.set('password', password);
    await user.signUp();
    $('#password').value = '';
    show();
    await refresh();
    await watch();
  });
});

$('#logout').addEventListener('click', () => void act(signedOut));

$('#add-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void act(async () => {
    const user = Parse.User.current();
    const todo = new Parse.Object('Todo');
    todo.set('title', $('#title').value); // trimmed, or refused when empty, by the server's beforeSave
    todo.set('done', false);
    todo.set('owner', user);
    todo.setACL(new Parse.ACL(user));
    await todo.save();
    $('#title').value = '';
    await refresh();
  });
});

$('#list').addEventListener('change', (event) => {
  const item = event.target.closest('li');
  const todo = item && todos.get(item.dataset.id);
  if (!todo) return;
  if (event.target.classList.contains('done')) {
    void act(async () => {
      todo.set('done', event.target.checked);
      await todo.save();
      await refresh();
    });
  } else if (event.target.classList.contains('image-input')) {
    const chosen = event.target.files[0];
    if (!chosen) return;
    void act(async () => {
      const file = new Parse.File(safeFileName(chosen.name), chosen);
      await file.save();
      todo.set('image', file);
      await todo.save();
      await refresh();
    });
  }
});

$('#list').addEventListener('click', (event) => {
  if (!event.target.classList.contains('delete')) return;
  const todo = todos.get(event.target.closest('li').dataset.id);
  if (!todo) return;
  void act(async () => {
    await todo.destroy();
    await refresh();
  });
});

show();
void act(async () => {
  if (!Parse.User.current()) return;
  await refresh();
  await watch();
});
