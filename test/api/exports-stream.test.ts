// streamWorkbook over a real HTTP connection (express, as under Nest): a valid workbook from any
// row source, a failing first page still answerable with an error, a failure mid-way breaking the
// download, a paused client stopping the row source (backpressure), and a client that leaves
// ending it (no further pages read).
import { createHash } from 'crypto';
import express from 'express';
import * as ExcelJS from 'exceljs';
import { AddressInfo } from 'net';
import { get, IncomingMessage, Server } from 'http';
import { SheetDef } from '../../src/exports/sheet';
import { streamWorkbook } from '../../src/exports/workbook-stream';

interface Row {
  n: number;
  label: string;
  at: Date;
  state: string;
}
const SHEET: SheetDef<Row> = {
  title: { zh: '测试', en: 'Test' },
  fileName: 'test',
  columns: [
    { key: 'n', type: 'number', header: { zh: '序号', en: 'No.' } },
    { key: 'label', type: 'text', header: { zh: '标签', en: 'Label' } },
    { key: 'at', type: 'date', header: { zh: '时间', en: 'At' } },
    { key: 'state', type: 'enum', header: { zh: '状态', en: 'State' }, words: { up: { zh: '正常', en: 'Up' } } },
  ],
};
// Labels that do not compress away, so the stream carries real bytes.
const row = (n: number): Row => ({
  n,
  label: `row ${n} ${createHash('sha512').update(String(n)).digest('hex')}`,
  at: new Date(Date.UTC(2026, 0, 1) + n * 1000),
  state: 'up',
});

/** An instrumented row source: how many rows were taken, and whether it was closed. */
function source(opts: { limit?: number; failAt?: number } = {}) {
  const state = { produced: 0, closed: false };
  async function* rows(): AsyncGenerator<Row> {
    try {
      for (let n = 0; opts.limit === undefined || n < opts.limit; n++) {
        if (n === opts.failAt) throw new Error(`page failed at ${n}`);
        if (n % 100 === 0) await new Promise((r) => setImmediate(r)); // a page boundary
        state.produced++;
        yield row(n);
      }
    } finally {
      state.closed = true;
    }
  }
  return { state, rows: rows() };
}

let server: Server;
let base: string;
let handler: (res: express.Response) => Promise<unknown>;
let outcome: Promise<unknown>;

beforeAll(async () => {
  const app = express();
  app.get('/x', (req, res) => {
    outcome = handler(res).catch((err) => {
      // What Nest's error filter would do: answer, since nothing was sent yet.
      res.status(500).json({ message: String(err.message) });
      return err;
    });
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise((r) => server.close(r));
});

function request(): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => get(`${base}/x`, resolve).once('error', reject));
}

async function body(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const until = async (cond: () => boolean, ms = 5000) => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

it('writes every row of any source as a valid workbook with typed cells', async () => {
  const src = source({ limit: 1234 });
  handler = (res) => streamWorkbook(res, SHEET, src.rows, { lang: 'en', now: new Date('2026-02-03T00:00:00Z') });
  const res = await request();
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-disposition']).toBe(`attachment; filename="test-2026-02-03.xlsx"; filename*=UTF-8''Test-2026-02-03.xlsx`);
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load((await body(res)) as any);
  const ws = wb.worksheets[0];
  expect(ws.actualRowCount).toBe(1235);
  expect(ws.getRow(1).values).toEqual([undefined, 'No.', 'Label', 'At (UTC)', 'State']);
  expect(ws.getRow(1235).values).toEqual([undefined, 1233, row(1233).label, row(1233).at, 'Up']);
  expect(await outcome).toBe(1234);
  expect(src.state.closed).toBe(true);
});

it('a source failing before the first row leaves the response to the error handler', async () => {
  const src = source({ failAt: 0 });
  handler = (res) => streamWorkbook(res, SHEET, src.rows, { lang: 'en' });
  const res = await request();
  expect(res.statusCode).toBe(500);
  expect(JSON.parse((await body(res)).toString())).toEqual({ message: 'page failed at 0' });
});

it('a source failing mid-way breaks the download instead of sending a short file as complete', async () => {
  const src = source({ failAt: 3000 });
  handler = (res) => streamWorkbook(res, SHEET, src.rows, { lang: 'en' });
  const res = await request();
  expect(res.statusCode).toBe(200);
  await expect(body(res)).rejects.toThrow(/aborted|ECONNRESET|socket hang up/);
  expect(await outcome).toBe(3000);
});

it('a paused client stops the source (memory stays bounded); a client that leaves ends it', async () => {
  const src = source();
  handler = (res) => streamWorkbook(res, SHEET, src.rows, { lang: 'en' });
  const res = await request();
  res.pause();
  // The writer fills the socket and the kernel's buffers, then waits: production stalls.
  await until(() => src.state.produced > 0);
  let last = -1;
  for (const deadline = Date.now() + 20_000; src.state.produced !== last;) {
    if (Date.now() > deadline) throw new Error(`still producing: ${src.state.produced} rows`);
    last = src.state.produced;
    await new Promise((r) => setTimeout(r, 250));
  }
  // Without backpressure this source would run forever; it has stopped and stays stopped. (Where it
  // stops depends on how much the socket and the kernel buffer, not on the process's memory.)
  await new Promise((r) => setTimeout(r, 300));
  expect(src.state.produced).toBe(last);

  res.destroy();
  expect(await outcome).toBe(last);
  expect(src.state.closed).toBe(true);
});
