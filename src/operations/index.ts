// Every operation module registers itself on import; this list is where they are switched on.
import './anomalies.js';
import './batch-upload.js';
import './cohort.js';
import './export.js';
import './gp-daily.js';
import './immunization-status.js';
import './invite.js';
import './load.js';
import './merge.js';
import './mmr-recall.js';
import './outbox.js';
import './preferences.js';
import './process-message.js';
import './returned-mail.js';
import './transition.js';
import './uptake.js';
import './validate.js';
