import { NIMS_BASE } from '../resources/extensions.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
import { MESSAGE_EVENT_SYSTEM, RECORD_ACTION_SYSTEM, VACCINATION_EVENT } from './messages.js';
const problem = (diagnostics, expression) => [{ diagnostics, expression: [expression] }];
/** The vaccination message nims sends GP practices (profiles/StructureDefinition-nims-gp-message.json). */
export const gpMessageProfile = {
    type: 'Bundle',
    url: `${NIMS_BASE}/StructureDefinition/nims-gp-message`,
    description: 'The FHIR message nims sends a GP practice for each change of a vaccination record of one of its patients; every message nims builds meets these rules, after the FHIR R4 schema.',
    rules: [
        {
            key: 'msg-type',
            description: 'A message Bundle with an id, a timestamp and a MessageHeader first',
            check: (bundle) => bundle.type !== 'message' || !bundle.id || !bundle.timestamp
                ? problem('The bundle must be of type message, with an id and a timestamp', 'Bundle.type')
                : bundle.entry?.[0]?.resource?.resourceType !== 'MessageHeader'
                    ? problem('The first entry must be the MessageHeader', 'Bundle.entry[0]')
                    : [],
        },
        {
            key: 'msg-event',
            description: `The event is ${VACCINATION_EVENT} (${MESSAGE_EVENT_SYSTEM}), with the action (new, update or delete) as its reason`,
            check: (bundle) => {
                const header = bundle.entry?.[0]?.resource;
                if (header?.resourceType !== 'MessageHeader')
                    return [];
                const action = header.reason?.coding?.find((c) => c.system === RECORD_ACTION_SYSTEM)?.code;
                return header.eventCoding?.system !== MESSAGE_EVENT_SYSTEM ||
                    header.eventCoding.code !== VACCINATION_EVENT
                    ? problem('The event must be a vaccination record change', 'Bundle.entry[0].resource.eventCoding')
                    : !['new', 'update', 'delete'].includes(action ?? '')
                        ? problem('The reason must be the action: new, update or delete', 'Bundle.entry[0].resource.reason')
                        : [];
            },
        },
        {
            key: 'msg-destination',
            description: 'The destination names the receiving GP practice by its ODS code',
            check: (bundle) => {
                const header = bundle.entry?.[0]?.resource;
                if (header?.resourceType !== 'MessageHeader')
                    return [];
                const receiver = header.destination?.[0]?.receiver?.identifier;
                return header.destination?.length !== 1 || receiver?.system !== ODS_CODE_SYSTEM || !receiver.value
                    ? problem('One destination, its receiver the practice by ODS code', 'Bundle.entry[0].resource.destination')
                    : [];
            },
        },
        {
            key: 'msg-focus',
            description: 'The focus is the Immunization in the bundle, and the bundle carries the Patient it is for',
            check: (bundle) => {
                const header = bundle.entry?.[0]?.resource;
                if (header?.resourceType !== 'MessageHeader')
                    return [];
                const focus = bundle.entry?.find((e) => e.fullUrl === header.focus?.[0]?.reference)?.resource;
                if (focus?.resourceType !== 'Immunization')
                    return problem('The focus must be an Immunization entry of the bundle', 'Bundle.entry[0].resource.focus');
                const patient = focus.patient.reference;
                return bundle.entry?.some((e) => e.resource?.resourceType === 'Patient' && e.fullUrl?.endsWith(`/${patient}`))
                    ? []
                    : problem('The bundle must carry the Patient the Immunization is for', 'Bundle.entry');
            },
        },
    ],
};
//# sourceMappingURL=profile.js.map