// One database connector for the rehearsal's own bookkeeping sessions (application_name
// aurora-migrate-rehearsal, so the tool's last check never mistakes them for its own).
import { createPgConnector } from '../../src/db/pg-connector.js';

export const connectorForRehearsal = createPgConnector({ applicationName: 'aurora-migrate-rehearsal' });
