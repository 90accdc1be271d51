// The application's UPDATE/DELETE traffic lives in the rehearsal (the demo drives it too).
export { startChurn, type Churn } from '../../../rehearsal/app/churn.js';
