import { SingleBar } from 'cli-progress';
import type { ReplayProgress } from '../run-replay';

const MiB = 1024 * 1024;

/**
 * Progress on stderr: a bar when stderr is a terminal; otherwise a line at every tenth of the bytes, so a CI log
 * shows the run moving without a bar's control characters.
 */
export function stderrProgress(stream: NodeJS.WriteStream = process.stderr): ReplayProgress {
  let total = 0;
  let done = 0;
  let records = 0;
  let nextTenth = 1;
  const bar = stream.isTTY
    ? new SingleBar({
        stream,
        format: 'replaying [{bar}] {percentage}% | {read}/{size} MiB | {records} records | eta {eta_formatted}',
        hideCursor: true,
        barsize: 30,
      })
    : undefined;
  return {
    start(totalBytes, files) {
      total = totalBytes;
      if (bar) bar.start(Math.max(1, total), 0, { records: 0, read: '0.0', size: (total / MiB).toFixed(1) });
      else stream.write(`replaying ${files} file(s), ${(total / MiB).toFixed(1)} MiB\n`);
    },
    advance(bytes, n) {
      done += bytes;
      records = n;
      if (bar) bar.update(done, { records: records.toLocaleString('en'), read: (done / MiB).toFixed(1) });
      else if (total > 0 && done / total >= nextTenth / 10) {
        stream.write(`  ${Math.floor((done / total) * 100)}% · ${records.toLocaleString('en')} records\n`);
        nextTenth = Math.floor((done / total) * 10) + 1;
      }
    },
    stop() {
      bar?.stop();
    },
  };
}

export const silentProgress: ReplayProgress = { start() {}, advance() {}, stop() {} };
