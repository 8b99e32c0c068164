'use strict';

const SERVICE_NAME = ${{ values.name | dump }};
const DESCRIPTION = ${{ values.description | dump }};
const BASE_IMAGE = ${{ values.runtimeImage | dump }};

function sendJson(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

/** Request handler: GET /health and GET /, 404 for anything else. */
function handle(req, res) {
  const { pathname } = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && pathname === '/health') {
    return sendJson(res, 200, { status: 'ok' });
  }
  if (req.method === 'GET' && pathname === '/') {
    return sendJson(res, 200, { service: SERVICE_NAME, description: DESCRIPTION, baseImage: BASE_IMAGE });
  }
  return sendJson(res, 404, { error: 'not found' });
}

module.exports = { handle, SERVICE_NAME, DESCRIPTION, BASE_IMAGE };
