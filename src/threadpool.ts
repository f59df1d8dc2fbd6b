// Imported first by the entry points. argon2 runs on libuv's thread pool (4 threads by
// default), shared with file and DNS work; sizing it to the cores (at least 4) keeps a
// burst of logins from queueing behind itself. It must be set before the pool starts.
import { availableParallelism } from 'node:os';

process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, availableParallelism()));
