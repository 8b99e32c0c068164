'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { handle, SERVICE_NAME, DESCRIPTION, BASE_IMAGE } = require('../src/app');

let server;
let base;

before(async () => {
  server = http.createServer(handle);
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise(resolve => server.close(resolve)));

test('GET /health answers ok', async () => {
  const response = await fetch(`${base}/health`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { status: 'ok' });
});

test('GET / names the service and its base image', async () => {
  const body = await (await fetch(`${base}/`)).json();
  assert.equal(body.service, SERVICE_NAME);
  assert.equal(SERVICE_NAME, ${{ values.name | dump }});
  assert.equal(body.description, DESCRIPTION);
  assert.equal(body.baseImage, BASE_IMAGE);
});

test('unknown paths are 404', async () => {
  assert.equal((await fetch(`${base}/nope`)).status, 404);
});
