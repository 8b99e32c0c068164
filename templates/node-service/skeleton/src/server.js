'use strict';

const http = require('node:http');
const { handle, SERVICE_NAME } = require('./app');

const port = Number(process.env.PORT ?? ${{ values.port }});
const server = http.createServer(handle);
server.listen(port, () => console.log(`${SERVICE_NAME} listening on :${port}`));

// exit cleanly on docker stop
process.on('SIGTERM', () => server.close(() => process.exit(0)));
