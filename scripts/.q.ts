import { loadConfig } from '../server/config';
import { createDatabase, migrateToLatest } from '../server/data/database';
import { createServices } from '../server/services';
import { seedDemo } from '../db/seeds/demo';
(async () => {
  const config = loadConfig({ FUHE_ALLOW_LOCAL_PUBLIC_URL: '1', FUHE_DATA_DIR: '/tmp/qdemo' });
  require('fs').rmSync('/tmp/qdemo', { recursive: true, force: true });
  const db = createDatabase(config);
  await migrateToLatest(db);
  const services = createServices({ db, config, now: () => new Date() });
  await seedDemo(services);
  const items = await services.assignments.items(1);
  items.forEach((it, i) => console.log(i, it.code, it.department, it.unit, it.status, it.assigneeUsername));
  await db.destroy();
})();
