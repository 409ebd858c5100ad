// A runner that takes a certificate's lease and then hangs until killed (test/unit/renewal/run-schedule.test.ts).
import { FileStateStore } from '../../dist/store/file-state-store.js';
const [stateDir, name] = process.argv.slice(2);
const store = new FileStateStore(stateDir);
const lease = await store.leases.acquire(name, `child:${process.pid}`, 10 * 60_000);
process.stdout.write(lease ? 'held\n' : 'busy\n');
setInterval(() => undefined, 60_000);
