import type { Bundle, Immunization, MessageHeader, Patient } from 'fhir/r4';
import { fail } from '../fhir/errors.js';
import type { InteractionResult } from '../fhir/service.js';
import type { PracticeRecord } from '../messaging/inbound.js';
import { MESSAGE_EVENT_SYSTEM, RECORD_ACTION_SYSTEM, VACCINATION_EVENT } from '../messaging/messages.js';
import { nhsNumberOf } from '../shared/nhs-number.js';
import { ODS_CODE_SYSTEM } from '../shared/ods.js';
import { stableUuid } from '../shared/stable-uuid.js';
import {
  operationDefinition,
  registerOperation,
  type Operation,
  type OperationServices,
} from './registry.js';

/** The parts of an incoming vaccination message, every rule checked (400 naming what is wrong). */
function partsOf(body: unknown): {
  header: MessageHeader;
  immunization: Immunization;
  patient: Patient;
  bundle: Bundle;
} {
  const bundle = body as Bundle | undefined;
  if (bundle?.resourceType !== 'Bundle' || bundle.type !== 'message')
    fail('invalid-request', 'The body must be a Bundle of type message', ['Bundle.type']);
  const header = bundle.entry?.[0]?.resource as MessageHeader | undefined;
  if (header?.resourceType !== 'MessageHeader' || !header.id)
    fail('invalid-request', 'The first entry must be a MessageHeader with an id', ['Bundle.entry[0]']);
  if (header.eventCoding?.system !== MESSAGE_EVENT_SYSTEM || header.eventCoding.code !== VACCINATION_EVENT)
    fail('invalid-request', `Only ${VACCINATION_EVENT} messages (${MESSAGE_EVENT_SYSTEM}) are taken`, [
      'Bundle.entry[0].resource.eventCoding',
    ]);
  const focus = bundle.entry?.find((e) => e.fullUrl === header.focus?.[0]?.reference)?.resource;
  if (focus?.resourceType !== 'Immunization')
    fail('invalid-request', 'The focus must be an Immunization entry of the bundle', [
      'Bundle.entry[0].resource.focus',
    ]);
  const patients = (bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Patient');
  if (patients.length !== 1)
    fail('invalid-request', 'The bundle must carry the one Patient the vaccination is for', ['Bundle.entry']);
  return { header, immunization: focus, patient: patients[0]!.resource as Patient, bundle };
}

/** The practice that sent the message: the sender's ODS code, which a practice-bound client must match. */
function senderOf(header: MessageHeader, clientPractice: string | undefined): string {
  const sender = header.sender?.identifier;
  if (sender?.system !== ODS_CODE_SYSTEM || !sender.value)
    fail('invalid-request', 'MessageHeader.sender must name the practice by ODS code', [
      'Bundle.entry[0].resource.sender',
    ]);
  if (clientPractice && clientPractice !== sender.value)
    fail('forbidden', `This client speaks for practice ${clientPractice}, not ${sender.value}`);
  return sender.value;
}

/** The answer to a message: a response message naming the request, `ok`, focused on the stored record. */
function response(header: MessageHeader, practice: string, focus: string, base: string): Bundle {
  const id = stableUuid(`response|${header.id}`);
  return {
    resourceType: 'Bundle',
    id,
    type: 'message',
    timestamp: new Date().toISOString(),
    entry: [
      {
        fullUrl: `urn:uuid:${id}`,
        resource: {
          resourceType: 'MessageHeader',
          id,
          eventCoding: header.eventCoding,
          destination: [
            {
              endpoint: header.source?.endpoint ?? `urn:ods:${practice}`,
              receiver: { identifier: { system: ODS_CODE_SYSTEM, value: practice } },
            },
          ],
          source: { name: 'nims', endpoint: base || 'urn:nims' },
          response: { identifier: header.id!, code: 'ok' },
          focus: [{ reference: focus }],
        },
      },
    ],
  };
}

async function process(
  request: Parameters<Operation['handle']>[0],
  { service, gpInbound }: OperationServices,
): Promise<InteractionResult> {
  if (!gpInbound) fail('not-ready', 'GP messaging is not available in this server');
  const { header, immunization, patient } = partsOf(request.body);
  const practice = senderOf(header, request.context.access.practice);
  const answer = (focus: string): InteractionResult => ({
    status: 200,
    body: response(header, practice, focus, request.context.baseUrl),
  });
  const action = (header.reason?.coding?.find((c) => c.system === RECORD_ACTION_SYSTEM)?.code ??
    'update') as PracticeRecord['action'];
  if (!['new', 'update', 'delete'].includes(action))
    fail('invalid-request', 'The reason must be new, update or delete', ['Bundle.entry[0].resource.reason']);
  const nhsNumber = nhsNumberOf(patient);
  if (!nhsNumber) fail('invalid-request', 'The Patient must carry an NHS number', ['Patient.identifier']);
  const focus = await gpInbound.take(
    service,
    { messageId: header.id!, practice, action, nhsNumber, immunization },
    request.context,
  );
  return answer(focus);
}

registerOperation({
  definition: operationDefinition(
    'process-message',
    'ProcessMessage',
    [],
    "Takes a vaccination message from a GP system (a message Bundle: MessageHeader with the vaccination-record-change event, the action new, update or delete as its reason, the sending practice's ODS code as sender; the Immunization as focus, with the practice's identifier for it; the Patient with their NHS number). The person is matched on the register by NHS number, the Immunization created, updated or deleted by its identifier (a message repeated changes nothing more), and marked as the practice's own so it is not sent back to it. Answers with a response message (code ok) naming the request's MessageHeader.",
    [
      { name: 'content', use: 'in', min: 1, max: '1', type: 'Bundle', documentation: 'The message' },
      { name: 'return', use: 'out', min: 1, max: '1', type: 'Bundle', documentation: 'The response message' },
    ],
    'system',
  ),
  needs: (request) =>
    (
      (request.body as Bundle | undefined)?.entry?.[0]?.resource as MessageHeader | undefined
    )?.reason?.coding?.some((c) => c.code === 'delete')
      ? [
          ['Patient', 'r'],
          ['Immunization', 'd'],
        ]
      : [
          ['Patient', 'r'],
          ['Immunization', 'c'],
          ['Immunization', 'u'],
        ],
  handle: process,
});
